// The attach session inside the target: leakscope_attach_start (called by the injector right after
// its dlopen, on the program thread it borrowed), the redirection of the hooked functions, and the
// end of the session on the tool thread (docs/attach.md, "Inside the process").
#include "attach/AttachSession.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <unistd.h>

#include "hooks/Export.h"
#include "hooks/JemallocHooks.h"
#include "lifecycle/Config.h"
#include "lifecycle/Triggers.h"
#include "relocation/DlEntries.h"
#include "relocation/GotPatcher.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload::attach {
namespace {

using relocation::HookedSymbol;
using relocation::loadedModuleGeneration;
using relocation::redirectSlots;
using relocation::restoreSlots;

// The functions the preload interposes that an attach redirects: the allocator (C++ operators too), the fd family (what
// opens, duplicates and closes an fd), dlclose (the module map), _exit (the exit snapshot), and the
// calls that need the tool thread out of the way (unshare, setns) or end snapshots (seccomp through
// prctl or syscall). Not the exec/spawn family and sigaction: an attach starts no crash handlers and
// follows no children.
constexpr const char* kHookedNames[] = {
    "malloc", "calloc", "free", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign", "valloc",
    "pvalloc",
    // C++ operator new/delete (hooks/CxxNewHooks.cpp): jemalloc's and tcmalloc's own serve `new` without
    // a call to malloc through any slot; libstdc++'s are a pass-through to the malloc hook.
    "_Znwm", "_ZnwmRKSt9nothrow_t", "_ZnwmSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t", "_Znam",
    "_ZnamRKSt9nothrow_t", "_ZnamSt11align_val_t", "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdlPvm",
    "_ZdlPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdlPvSt11align_val_tRKSt9nothrow_t",
    "_ZdaPv", "_ZdaPvm", "_ZdaPvRKSt9nothrow_t", "_ZdaPvSt11align_val_t", "_ZdaPvmSt11align_val_t",
    "_ZdaPvSt11align_val_tRKSt9nothrow_t",
    "open", "open64", "openat", "openat64", "creat", "creat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2",
    "close", "close_range", "closefrom", "fclose", "closedir", "socket", "socketpair", "accept", "accept4", "pipe",
    "pipe2", "eventfd", "epoll_create", "epoll_create1", "timerfd_create", "signalfd", "inotify_init", "inotify_init1",
    "memfd_create", "dup", "dup2", "dup3", "fcntl", "fcntl64", "mkstemp", "mkstemp64", "mkostemp", "mkostemp64",
    "mkstemps", "mkstemps64", "mkostemps", "mkostemps64", "tmpfile", "tmpfile64", "recvmsg", "recvmmsg", "fopen",
    "fopen64", "freopen", "freopen64", "fdopen", "opendir", "fdopendir",
    "dlclose", "_exit", "_Exit", "unshare", "setns", "prctl", "syscall"};
constexpr size_t kHookedCount = sizeof(kHookedNames) / sizeof(kHookedNames[0]);

constexpr size_t kMaxOptional = 8;  // hooks/JemallocHooks.cpp has 7
HookedSymbol gSymbols[kHookedCount + kMaxOptional + 1];  // + dlopen
size_t gSymbolCount = 0;
std::atomic<unsigned long long> gGeneration{0};
pid_t gOwner = 0;  // the `leakscope attach` process: when it is gone, nobody will read the snapshots

// This library's function for each name (dlsym on our own handle searches this library first) and
// the global scope's. Pairs where either is missing, or both are the same, are not redirected.
bool buildSymbolTable() noexcept {
    if (gSymbolCount) return true;
    Dl_info own{};
    if (!dladdr(reinterpret_cast<void*>(&buildSymbolTable), &own) || !own.dli_fname) return false;
    void* self = dlopen(own.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (!self) {
        dlerror();
        return false;
    }
    size_t count = 0;
    for (const char* name : kHookedNames) {
        void* hook = dlsym(self, name);
        void* real = dlsym(RTLD_DEFAULT, name);
        if (hook && real && hook != real) gSymbols[count++] = HookedSymbol{name, hook, real};
    }
    dlclose(self);  // a no-op for a nodelete library; balances the NOLOAD reference
    // jemalloc's extended API and C23's sized frees: this library does not export them (neither does
    // the preload, hooks/JemallocHooks.h), so the pair comes from the hook table. Present only when
    // the process has them; the global definition is what the hook forwards to (RealFunctions.h,
    // resolveRealFunctionsGlobally). Unlike the preload, the defining module's own slots are taken
    // too: the attach does not hook operator new/delete, so libjemalloc's, which reach mallocx and
    // sdallocx through its PLT, are seen only there (once, not twice).
    for (const OptionalHook& hook : optionalHooks()) {
        void* real = hook.real();
        if (real && count < kHookedCount + kMaxOptional) gSymbols[count++] = HookedSymbol{hook.name, hook.hook(), real};
    }
    void* real_dlopen = dlsym(RTLD_DEFAULT, "dlopen");
    dlerror();  // a missing symbol set the error string the program's next dlerror() would read
    if (real_dlopen) {
        relocation::setRealDlFunctions(real_dlopen, nullptr);
        relocation::setModuleLoadListener(redirectNewModules);
        gSymbols[count++] = HookedSymbol{"dlopen", reinterpret_cast<void*>(&leakscope_dlopen_entry), real_dlopen};
    }
    gSymbolCount = count;
    return count > 0;
}

pid_t ownerOf(const char* settings) noexcept {
    static constexpr char kKey[] = "LEAKSCOPE_ATTACH_OWNER=";
    const char* at = std::strstr(settings, kKey);
    return at ? static_cast<pid_t>(std::strtol(at + sizeof(kKey) - 1, nullptr, 10)) : 0;
}

bool ownerGone() noexcept {
    int saved_errno = errno;
    bool gone = gOwner > 0 && kill(gOwner, 0) != 0 && errno == ESRCH;
    errno = saved_errno;
    return gone;
}

}  // namespace

void redirectNewModules() noexcept {
    if (!attachedTracking()) return;
    unsigned long long generation = loadedModuleGeneration();
    if (generation == gGeneration.exchange(generation, std::memory_order_acq_rel)) return;
    redirectSlots(gSymbols, gSymbolCount);
}

void onToolThreadStart() noexcept {
    if (attachedTracking()) takeSnapshot("interval", snapshot::Trigger::Interval);
}

bool onToolThreadWake() noexcept {
    if (!attachedTracking()) return false;
    redirectNewModules();
    char marker[4200];
    // "<dir>/.detach-<pid>": written by `leakscope attach` to end the session, removed as the answer.
    bool requested = outputDirPidFile("/.detach-", marker, sizeof(marker)) && access(marker, F_OK) == 0;
    if (!requested && !ownerGone()) return false;
    // Back to what the loader bound, then pass-through for any caller that still holds a hook's
    // address (a function pointer taken while attached): the library stays loaded for them.
    restoreSlots(gSymbols, gSymbolCount);
    stopAttachedTracking();
    if (requested) unlink(marker);  // the answer `leakscope attach` waits for
    return true;
}

}  // namespace leakscope::preload::attach

// Called by `leakscope attach` through ptrace, on a program thread it stopped, right after dlopen.
// `settings`: "NAME=value" lines (LEAKSCOPE_OUTPUT_DIR, LEAKSCOPE_INTERVAL_MS, LEAKSCOPE_DEPTH,
// LEAKSCOPE_ATTACH_OWNER). Returns 0 attached, 1 the library was preloaded (use `leakscope snap`),
// 2 already attached, 3 settings too long, 4 the tables or the symbol table could not be set up.
LEAKSCOPE_EXPORT int leakscope_attach_start(const char* settings) {
    using namespace leakscope::preload;
    int saved_errno = errno;  // the borrowed thread resumes in the program with its errno intact
    if (!settings) settings = "";
    switch (startAttachedTracking(settings)) {
        case AttachStart::Started: break;
        case AttachStart::Preloaded: return errno = saved_errno, 1;
        case AttachStart::AlreadyAttached: return errno = saved_errno, 2;
        case AttachStart::BadSettings: return errno = saved_errno, 3;
        case AttachStart::Failed: return errno = saved_errno, 4;
    }
    if (!attach::buildSymbolTable()) {
        stopAttachedTracking();
        errno = saved_errno;
        return 4;
    }
    attach::gOwner = attach::ownerOf(settings);
    attach::gGeneration.store(relocation::loadedModuleGeneration(), std::memory_order_release);
    relocation::redirectSlots(attach::gSymbols, attach::gSymbolCount);
    // A previous session's thread has left its loop (and detached itself); this one opens the window.
    triggers::resumeToolThread();
    errno = saved_errno;
    return 0;
}
