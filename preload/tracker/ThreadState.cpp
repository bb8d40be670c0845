// ReentryGuard, thread ids and deferred (signal-requested) work. Sequence numbers: SequenceNumbers.cpp.
#include "tracker/ThreadState.h"

#include <atomic>
#include <cstring>
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

#include "lifecycle/TrackerFds.h"
#include "tables/LiveTable.h"
#include "tables/EventStore.h"
#include "tables/HandleTable.h"
#include "tables/StackTable.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"
#include "tracker/FaultInjection.h"
#include "unwind/CfiWalker.h"
#include "unwind/ModuleMap.h"

namespace leakscope::preload {
namespace {

thread_local unsigned tGuardDepth __attribute__((tls_model("initial-exec"))) = 0;
thread_local uint32_t tThreadId __attribute__((tls_model("initial-exec"))) = 0;
// Where the outermost guard of this thread lives (the address of the guard object, in the hook's
// frame): a longjmp to a point above it leaves every tracker frame of the thread behind.
thread_local uintptr_t tGuardFrame __attribute__((tls_model("initial-exec"))) = 0;

std::atomic<bool> gDeferredSnapshot{false};  // an external request is pending
std::atomic<bool> gDeferredApi{false};       // a leakscope_snapshot() from a handler is pending
// The pending API request's label. Written only by the one handler that wins gApiLabelBusy, read by
// runDeferredWork after it took the request: a second request merged into a pending one keeps the
// first label.
std::atomic<bool> gApiLabelBusy{false};
char gApiLabel[snapshot::kLabelCapacity];

bool deferredWorkPending() noexcept {
    return gDeferredSnapshot.load(std::memory_order_relaxed) || gDeferredApi.load(std::memory_order_relaxed);
}

// Enters the tracker on this thread; true for the outermost entry. The frame first, the depth second:
// a signal between the two finds the thread outside the tracker, never inside it with a stale frame.
bool enterTracker(const void* guard_frame) noexcept {
    if (tGuardDepth == 0) tGuardFrame = reinterpret_cast<uintptr_t>(guard_frame);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return tGuardDepth++ == 0;
}

// The guard of one round of deferred work: inside the tracker like a ReentryGuard (a handler that
// lands meanwhile defers; a siglongjmp out of it is recovered), but its release runs no deferred work.
class DeferredRound {
public:
    DeferredRound() noexcept { enterTracker(this); }
    ~DeferredRound() { --tGuardDepth; }
    DeferredRound(const DeferredRound&) = delete;
    DeferredRound& operator=(const DeferredRound&) = delete;
};

}  // namespace

ReentryGuard::ReentryGuard() noexcept { owns_ = enterTracker(this); }

ReentryGuard::~ReentryGuard() {
    --tGuardDepth;
    // The outermost release is a safe point: no tracker lock is held by this thread any more.
    if (owns_ && deferredWorkPending()) runDeferredWork();
}

bool threadInsideTracker() noexcept { return tGuardDepth != 0; }

bool jumpLeavesTracker(uintptr_t target_sp) noexcept {
    if (tGuardDepth == 0) return false;
    // A handler on the alternate signal stack: a target on that stack is inside the handler; a guard
    // on it (the tracker entered from the handler) is left by any jump off it.
    stack_t alternate{};
    if (syscall(SYS_sigaltstack, nullptr, &alternate) == 0 && (alternate.ss_flags & SS_ONSTACK)) {
        const auto base = reinterpret_cast<uintptr_t>(alternate.ss_sp);
        auto onAlternate = [&](uintptr_t address) { return address >= base && address - base < alternate.ss_size; };
        if (onAlternate(target_sp) != onAlternate(tGuardFrame)) return onAlternate(tGuardFrame);
    }
    return target_sp > tGuardFrame;  // stacks grow down: above the guard is outside the tracker
}

void recoverAbandonedTracker() noexcept {
    // The locks this thread owns (every one was taken by an abandoned frame: none is held across a
    // call into the program), and per-thread caches a frame may have left half-written.
    releaseTrackerFdsClaimedHere();  // a snapshot's file, a /proc/self/fd listing (its .tmp- file stays)
    releaseSnapshotLockOwnedHere();
    module_map::releaseLockOwnedHere();
    event_store::releaseLockOwnedHere();
    fault_injection::releaseLockOwnedHere();
    handles::handleTable().releaseSlotsOwnedHere();
    live_table::forgetThreadState();
    stack_table::forgetThreadState();
    cfi_walker::forgetThreadState();
    forgetLastCapture();
    forgetSequenceBlock();
    std::atomic_signal_fence(std::memory_order_seq_cst);
    tGuardDepth = 0;  // last: until here a signal still finds the thread inside the tracker
}

uint32_t currentThreadId() noexcept {
    if (tThreadId == 0) tThreadId = static_cast<uint32_t>(syscall(SYS_gettid));
    return tThreadId;
}

// Requests merged into a pending one: counted, so that the report can say how many snapshots the
// process asked for and did not get as files of their own (a lock-free fetch_add: signal-safe).
std::atomic<uint64_t> gRequestsMerged{0};

uint64_t snapshotRequestsMerged() noexcept { return gRequestsMerged.load(std::memory_order_relaxed); }

void requestDeferredSnapshot() noexcept {
    if (gDeferredSnapshot.exchange(true, std::memory_order_relaxed)) gRequestsMerged.fetch_add(1, std::memory_order_relaxed);
}

void requestDeferredApiSnapshot(const char* label) noexcept {
    if (!gApiLabelBusy.exchange(true, std::memory_order_acquire)) {
        size_t length = 0;
        while (label && label[length] && length + 1 < sizeof(gApiLabel)) ++length;
        if (length) std::memcpy(gApiLabel, label, length);
        gApiLabel[length] = '\0';
        gDeferredApi.store(true, std::memory_order_release);
    } else {
        gRequestsMerged.fetch_add(1, std::memory_order_relaxed);
    }
}

void runDeferredWork() noexcept {
    if (tGuardDepth != 0) return;
    // One round per outermost release, and the round is inside the tracker: a request that arrives
    // while its snapshots are written (a timer handler that asks faster than a loaded machine writes)
    // stays pending, merged, until this or another thread next leaves the tracker, so the program's own
    // code runs between two deferred snapshots. Before, each snapshot's own guard release took the next
    // request: the chain never ended while requests kept coming (the program never ran again, left
    // thousands of snapshots and nested a frame pair per snapshot), and torture_host_signals hung in CI.
    DeferredRound round;
    if (gDeferredApi.exchange(false, std::memory_order_acq_rel)) {
        // The label stays put until gApiLabelBusy is released: copy it first.
        char label[snapshot::kLabelCapacity];
        std::memcpy(label, gApiLabel, sizeof(label));
        gApiLabelBusy.store(false, std::memory_order_release);
        takeSnapshot(label, snapshot::Trigger::Api);
    }
    if (gDeferredSnapshot.exchange(false, std::memory_order_acq_rel)) takeExternalSnapshot();
}

void resetThreadStateInChild() noexcept {
    tThreadId = 0;
    gDeferredSnapshot.store(false, std::memory_order_relaxed);
    gDeferredApi.store(false, std::memory_order_relaxed);
    gApiLabelBusy.store(false, std::memory_order_relaxed);
}

}  // namespace leakscope::preload
