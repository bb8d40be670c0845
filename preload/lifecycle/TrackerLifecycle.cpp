// The tracker's lifecycle: first-use tables (from the first hook call, possibly before libc has
// finished starting), constructor-time configuration, the exit snapshot, and fork.
#include <atomic>
#include <cstdint>
#include <ctime>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <unistd.h>

#include "lifecycle/Config.h"
#include "lifecycle/FdTableCopy.h"
#include "tables/EventStore.h"
#include "tracker/ClockNs.h"
#include "tracker/FaultInjection.h"
#include "tracker/MemoryTracker.h"
#include "tables/LiveTable.h"
#include "lifecycle/Log.h"
#include "lifecycle/ProcessRecord.h"
#include "unwind/ModuleMap.h"
#include "hooks/RealFunctions.h"
#include "tables/StackTable.h"
#include "tracker/ThreadState.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"
#include "reachability/ReachabilityScan.h"
#include "lifecycle/Triggers.h"
#include "relocation/OptionalHooks.h"
#include "unwind/CfiWalker.h"
#include "unwind/Unwinder.h"

namespace leakscope::preload {
namespace {

std::atomic<bool> gTablesReady{false};
std::atomic<bool> gConfigured{false};
std::atomic<bool> gTornDown{false};
// memoryTrackingOn() minus the per-thread fork check, folded into one flag for the hooks' fast path.
std::atomic<bool> gMemoryOn{false};
std::atomic<uint64_t> gProcessStartNs{0};
std::atomic<uint64_t> gPid{0};
// Loaded by `leakscope attach` and tracking now (between leakscope_attach_start and the detach).
std::atomic<bool> gAttached{false};
bool gPreloaded = false;  // the constructor found this copy preloaded (set once, before any attach)


// The text range of libleakscope.so itself: frames in it are never part of a recorded stack.
int findOwnModule(struct dl_phdr_info* info, size_t, void* context) noexcept {
    auto own = reinterpret_cast<uint64_t>(context);
    uint64_t start = UINT64_MAX, end = 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        if (header.p_type != PT_LOAD) continue;
        uint64_t segment = info->dlpi_addr + header.p_vaddr;
        if (segment < start) start = segment;
        if (segment + header.p_memsz > end) end = segment + header.p_memsz;
    }
    if (own < start || own >= end) return 0;
    setOwnCodeRange(start, end);
    return 1;
}

// fork(): prepare takes every tracker lock so the child never inherits one held by a thread that
// does not exist there; hooks that run on this thread in between bypass the tables (see
// forkLocksHeldHere()).
thread_local bool tForkLocksHeld __attribute__((tls_model("initial-exec"))) = false;

void prepareFork() noexcept {
    tForkLocksHeld = true;
    lockTrackerForFork();
}

void parentAfterFork() noexcept {
    unlockTrackerAfterFork();
    tForkLocksHeld = false;
}

void childAfterFork() noexcept {
    unlockTrackerAfterFork();
    if (gAttached.load(std::memory_order_acquire)) {
        // `leakscope attach` watches one process: a child of it keeps the patched entries, as
        // pass-through hooks, and writes nothing.
        stopAttachedTracking();
        tForkLocksHeld = false;
        return;
    }
    resetSnapshotStateInChild();
    resetThreadStateInChild();
    gPid.store(static_cast<uint64_t>(getpid()), std::memory_order_relaxed);
    gProcessStartNs.store(monotonicNs(), std::memory_order_relaxed);
    tForkLocksHeld = false;
    {
        ReentryGuard guard;
        if (config().track_handles) handles::afterForkInChild();
        triggers::restartInChild();
        process_record::createInForkChild();
    }
}

// True when this copy of the library is in the global scope, i.e. it was preloaded. A copy that
// `leakscope attach` dlopen'd (RTLD_LOCAL) is not: its constructor leaves the process alone and
// leakscope_attach_start initialises instead. The lookup goes through the main program's handle,
// whose scope is the global one (RTLD_DEFAULT would search this library's own scope too); the
// handle is not closed (dlclose is one of our hooks, and the main program cannot be unloaded).
bool globalScopeIsThisCopy() noexcept {
    void* program = dlopen(nullptr, RTLD_NOW);
    void* found = program ? dlsym(program, "leakscope_preload_active") : nullptr;
    if (!found) {
        dlerror();  // the program's next dlerror() must not report our lookup
        return false;
    }
    Dl_info found_info{}, own_info{};
    return dladdr(found, &found_info) && dladdr(reinterpret_cast<void*>(&findOwnModule), &own_info) &&
           found_info.dli_fbase == own_info.dli_fbase;
}

}  // namespace

void takeImmediateExitSnapshot() noexcept {
    if (threadInsideTracker()) return;
    runDeferredWork();
    takeExitSnapshot();
}

bool forkLocksHeldHere() noexcept { return tForkLocksHeld; }

bool ensureCoreTables() noexcept {
    if (gTablesReady.load(std::memory_order_acquire)) return true;
    static std::atomic<bool> initialising{false};
    if (initialising.exchange(true, std::memory_order_acq_rel)) {
        // Another thread maps the tables; this hook runs untracked rather than wait inside malloc.
        return gTablesReady.load(std::memory_order_acquire);
    }
    bool ok = live_table::initialise() && stack_table::initialise();
    gProcessStartNs.store(monotonicNs(), std::memory_order_relaxed);
    gPid.store(static_cast<uint64_t>(getpid()), std::memory_order_relaxed);
    gTablesReady.store(ok, std::memory_order_release);
    if (ok && (!gConfigured.load(std::memory_order_acquire) || config().track_memory))
        gMemoryOn.store(true, std::memory_order_release);
    return ok;
}

bool trackerConfigured() noexcept { return gConfigured.load(std::memory_order_acquire); }

bool trackerActive() noexcept {
    return gConfigured.load(std::memory_order_acquire) && !gTornDown.load(std::memory_order_relaxed);
}

bool memoryTrackingOn() noexcept {
    // Before the constructor has read the configuration, memory is tracked (the default), so that
    // blocks allocated early are known when they are freed later.
    return gTablesReady.load(std::memory_order_acquire) && !gTornDown.load(std::memory_order_relaxed) &&
           (!gConfigured.load(std::memory_order_relaxed) || config().track_memory) && !tForkLocksHeld;
}

bool memoryHooksTrack() noexcept {
    if (gMemoryOn.load(std::memory_order_acquire)) return !tForkLocksHeld;
    return ensureCoreTables() && memoryTrackingOn();
}

uint64_t processStartNs() noexcept { return gProcessStartNs.load(std::memory_order_relaxed); }
uint64_t trackedPid() noexcept { return gPid.load(std::memory_order_relaxed); }

void lockTrackerForFork() noexcept {
    // One fixed order everywhere: snapshot, modules, events, walk rules, stacks, live table.
    lockSnapshotForFork();
    module_map::lockForFork();
    event_store::lockForFork();
    cfi_walker::lockForFork();
    stack_table::lockAllForFork();
    live_table::lockAllForFork();
}

void unlockTrackerAfterFork() noexcept {
    live_table::unlockAllAfterFork();
    stack_table::unlockAllAfterFork();
    cfi_walker::unlockAfterFork();
    event_store::unlockAfterFork();
    module_map::unlockAfterFork();
    unlockSnapshotAfterFork();
}

// Runs when the preload is initialised by the dynamic loader: first of all libraries' constructors
// (-z initfirst, docs/architecture.md "Initialisation order"), before the program's and main. The real
// allocator may have been in use (through the hooks) for a while.
// [capture] The loader passes (argc, argv, envp) to every constructor. Being first, this one runs
// before libc's own initialiser has set `environ` (it sets it to this same envp just after), so
// getenv() would see no LEAKSCOPE_* at all: set it here, to the value libc is about to give it.
__attribute__((constructor(101))) void initialiseTracker(int, char** argv, char** envp) noexcept {
    if (!environ && envp) environ = envp;
    if (!globalScopeIsThisCopy()) return;  // dlopen'd by `leakscope attach` (preload/attach/)
    gPreloaded = true;
    ReentryGuard guard;
    realAllocator();
    if (!ensureCoreTables()) {
        logMessage(LogLevel::Error, "cannot map the tracking tables; this process is not tracked");
        return;
    }
    // A seccomp filter inherited at start may forbid any call the tool chooses to make (reading
    // /proc/self/maps and exe, the /proc/self/fd listing, sigaction, the tool thread's clone, every
    // snapshot), and no snapshot could be written anyway: unless asked (LEAKSCOPE_SECCOMP=track), the
    // process is not tracked at all. Only the environment is kept as the program should see it (and
    // for children, which follow as usual), and the process record says it was not tracked.
    const bool inherited_filter = triggers::inheritedSeccompFilter();
    loadConfig();
    const bool inherited_sandbox = inherited_filter && !config().track_sandboxed;
    if (inherited_sandbox) triggers::stayOutOfInheritedSandbox();
    reachability::rememberMainThread();  // the loader runs constructors on the main thread
    if (!config().track_memory) gMemoryOn.store(false, std::memory_order_release);
    const char* predecessor = getenv("LEAKSCOPE_EXEC_RECORD");  // before environ loses LEAKSCOPE_*
    rememberTrackingEnvironment();
    process_record::create(inherited_sandbox  ? process_record::StartState::Sandboxed
                           : inherited_filter ? process_record::StartState::SandboxTracked
                                              : process_record::StartState::Tracked,
                           argv && argv[0] ? argv[0] : "");
    if (inherited_sandbox) {
        gMemoryOn.store(false, std::memory_order_release);
        gTornDown.store(true, std::memory_order_release);
        return;
    }
    if (predecessor) process_record::settlePredecessor(predecessor);
    dl_iterate_phdr(findOwnModule, reinterpret_cast<void*>(&findOwnModule));
    if (!unwinder::initialise())
        logMessage(LogLevel::Warn, "the CFI rule cache could not be mapped; every stack is walked by libgcc's unwinder");
    if (config().fail_alloc[0]) fault_injection::configure(config().fail_alloc);
    resolveJumpFunctions();
    module_map::refresh();
    // jemalloc's extended API, when the process has it: slots redirected now, while no other thread
    // exists and before any other library's constructor can call mallocx (relocation/OptionalHooks.h).
    if (config().track_memory) relocation::startOptionalHooks();
    if (config().track_handles) handles::initialise();
    pthread_atfork(prepareFork, parentAfterFork, childAfterFork);
    gConfigured.store(true, std::memory_order_release);
    triggers::install();
    logMessage(LogLevel::Debug, "tracking pid %d, output %s, depth %u, unwinder %s", getpid(), config().output_dir,
               config().depth, unwinder::name());
}

// Return from main and exit() end here (after the program's own static destructors).
__attribute__((destructor(101))) void finishTracker() noexcept {
    if (!trackerActive()) return;  // never started, or detached by `leakscope attach`
    runDeferredWork();
    takeExitSnapshot();
    gMemoryOn.store(false, std::memory_order_relaxed);
    gTornDown.store(true, std::memory_order_relaxed);
}

AttachStart startAttachedTracking(const char* settings) noexcept {
    if (gPreloaded) return AttachStart::Preloaded;
    if (gAttached.load(std::memory_order_acquire)) return AttachStart::AlreadyAttached;
    // No hook is patched yet: nothing else runs in the tracker while this sets it up.
    resolveRealFunctionsGlobally();
    ReentryGuard guard;
    realAllocator();
    if (!ensureCoreTables()) return AttachStart::Failed;
    if (!loadConfigFromText(settings)) return AttachStart::BadSettings;
    static bool initialised_once = false;  // what survives a detach and serves the next attach
    if (!initialised_once) {
        dl_iterate_phdr(findOwnModule, reinterpret_cast<void*>(&findOwnModule));
        unwinder::initialise();
        pthread_atfork(prepareFork, parentAfterFork, childAfterFork);
        initialised_once = true;
    }
    // A new window: what an earlier attach recorded was freed and closed since without the hooks.
    live_table::clear();
    event_store::clear();
    memory::beginAttachWindow();
    module_map::refresh();
    gPid.store(static_cast<uint64_t>(getpid()), std::memory_order_relaxed);
    gProcessStartNs.store(monotonicNs(), std::memory_order_relaxed);
    if (config().track_handles) {
        handles::afterForkInChild();  // an earlier window's records become inherited (and are reconciled)
        // The fds open now: inherited, a baseline. Listed from the helper with a copy of the fd table
        // (FdTableCopy.h): the program's other threads run on while the borrowed one is in here, and
        // the listing's own fd must not take a number one of their open() calls would get.
        if (!runWithCopiedFdTable([](void*) noexcept { handles::initialise(); }, nullptr)) handles::initialise();
    }
    gTornDown.store(false, std::memory_order_release);
    gConfigured.store(true, std::memory_order_release);
    gMemoryOn.store(config().track_memory, std::memory_order_release);
    gAttached.store(true, std::memory_order_release);
    return AttachStart::Started;
}

void stopAttachedTracking() noexcept {
    gMemoryOn.store(false, std::memory_order_release);
    gTornDown.store(true, std::memory_order_release);
    gAttached.store(false, std::memory_order_release);
}

bool attachedTracking() noexcept { return gAttached.load(std::memory_order_acquire); }

}  // namespace leakscope::preload
