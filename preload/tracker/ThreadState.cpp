// ReentryGuard, thread ids, sequence numbers and deferred (signal-requested) work.
#include "tracker/ThreadState.h"

#include <atomic>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

thread_local unsigned tGuardDepth __attribute__((tls_model("initial-exec"))) = 0;
thread_local uint32_t tThreadId __attribute__((tls_model("initial-exec"))) = 0;

// Sequence 0 is reserved for "tracker-internal" live entries, so numbering starts at 1.
std::atomic<uint64_t> gSequence{1};
std::atomic<bool> gDeferredSnapshot{false};

}  // namespace

ReentryGuard::ReentryGuard() noexcept : owns_(tGuardDepth++ == 0) {}

ReentryGuard::~ReentryGuard() {
    --tGuardDepth;
    // The outermost release is a safe point: no tracker lock is held by this thread any more.
    if (owns_ && gDeferredSnapshot.load(std::memory_order_relaxed)) runDeferredWork();
}

bool threadInsideTracker() noexcept { return tGuardDepth != 0; }

uint64_t nextSequence() noexcept { return gSequence.fetch_add(1, std::memory_order_relaxed); }

uint64_t peekSequence() noexcept { return gSequence.load(std::memory_order_relaxed); }

uint32_t currentThreadId() noexcept {
    if (tThreadId == 0) tThreadId = static_cast<uint32_t>(syscall(SYS_gettid));
    return tThreadId;
}

void requestDeferredSnapshot() noexcept { gDeferredSnapshot.store(true, std::memory_order_relaxed); }

void runDeferredWork() noexcept {
    if (tGuardDepth != 0) return;
    if (!gDeferredSnapshot.exchange(false, std::memory_order_acq_rel)) return;
    takeExternalSnapshot();
}

void resetThreadStateInChild() noexcept {
    tThreadId = 0;
    gDeferredSnapshot.store(false, std::memory_order_relaxed);
}

}  // namespace leakscope::preload
