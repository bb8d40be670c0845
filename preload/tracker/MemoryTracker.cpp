// Allocation bookkeeping: hook -> (guard) -> stack -> fault injection -> real call -> live table.
#include "tracker/MemoryTracker.h"

#include <atomic>
#include <cerrno>

#include "tables/EventStore.h"
#include "tracker/ErrnoKeeper.h"
#include "tracker/FaultInjection.h"
#include "tables/LiveTable.h"
#include "hooks/RealFunctions.h"
#include "tables/StackTable.h"
#include "tracker/TrackerCore.h"
#include "tracker/ThreadState.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

// `leakscope attach`: a pointer the table does not know may be a block from before the attach.
std::atomic<bool> gUnknownFreesSilent{false};

bool unknownFreeIsBad(bool owned) noexcept { return owned && !gUnknownFreesSilent.load(std::memory_order_relaxed); }

inline uint64_t addressOf(const void* pointer) noexcept { return reinterpret_cast<uint64_t>(pointer); }

LiveEntry trackedEntry(void* pointer, size_t size, uint32_t stack_id) noexcept {
    return LiveEntry{addressOf(pointer), size, nextAllocationSequence(), stack_id, currentThreadId()};
}

void recordWithFreshStack(snapshot::EventKind kind, uint64_t value, uint64_t size) noexcept {
    recordEvent(kind, value, size, captureStack());
}

}  // namespace

void recordEvent(snapshot::EventKind kind, uint64_t value, uint64_t size, uint32_t stack_id) noexcept {
    event_store::record(kind, value, size, stack_id, nextSequence(), currentThreadId());
}

void fillMemoryCounters(snapshot::Counters& counters) noexcept {
    LiveCounters live = live_table::sumCounters();
    counters.allocations = live.allocations;
    counters.frees = live.frees;
    counters.reallocations = live.reallocations;
    counters.bytes_allocated = live.bytes_allocated;
    counters.bytes_freed = live.bytes_freed;
    counters.live_allocations = live.live_allocations;
    counters.live_bytes = live.live_bytes;
    // An upper bound of the true peak (LiveTable.h, LiveCounters), at least what is live now.
    counters.peak_live_bytes = live.peak_live_bytes > live.live_bytes ? live.peak_live_bytes : live.live_bytes;
    counters.bad_frees = event_store::countOf(snapshot::EventKind::BadFree);
    counters.bad_closes = event_store::countOf(snapshot::EventKind::BadClose) +
                          event_store::countOf(snapshot::EventKind::DoubleClose);
    counters.failed_allocations = event_store::countOf(snapshot::EventKind::FailedAllocation);
    counters.injected_failures = event_store::countOf(snapshot::EventKind::InjectedFailure);
    counters.events_dropped = event_store::dropped();
    counters.invalid_fd_closes = event_store::countOf(snapshot::EventKind::InvalidFdClose);
    counters.unopened_fd_closes = event_store::countOf(snapshot::EventKind::UnopenedFdClose);
    counters.snapshot_requests_merged = snapshotRequestsMerged();
    counters.stacks = stack_table::count();
    counters.stack_table_full = stack_table::fullCount();
}

namespace memory {

bool prepareAllocation(size_t size, uint32_t* stack_id) noexcept {
    ErrnoKeeper keep_errno;
    if (!fault_injection::active()) {
        *stack_id = captureStack();
        return false;
    }
    uint64_t frames[kCaptureBufferFrames];
    uint16_t depth = 0;
    *stack_id = captureStackWithFrames(frames, &depth);
    if (!fault_injection::shouldFail(size, frames, depth)) return false;
    recordEvent(snapshot::EventKind::InjectedFailure, 0, size, *stack_id);
    return true;
}

void recordAllocation(void* pointer, size_t size, uint32_t stack_id) noexcept {
    ErrnoKeeper keep_errno;
    if (!pointer) {
        recordEvent(snapshot::EventKind::FailedAllocation, 0, size, stack_id);
        return;
    }
    live_table::insert(trackedEntry(pointer, size, stack_id));
}

void recordInternalAllocation(void* pointer, size_t size) noexcept {
    if (!pointer) return;
    ErrnoKeeper keep_errno;
    live_table::insert(LiveEntry{addressOf(pointer), size, 0, 0, 0});
}

void recordFree(void* pointer, bool owned) noexcept {
    ErrnoKeeper keep_errno;
    LiveEntry removed{};
    if (live_table::remove(addressOf(pointer), &removed)) return;
    if (unknownFreeIsBad(owned)) recordWithFreshStack(snapshot::EventKind::BadFree, addressOf(pointer), 0);
}

namespace {

// realloc and rallocx: `real_resize(pointer, size)` is the real call.
template <typename RealResize>
void* reallocateWith(void* pointer, size_t size, bool owned, RealResize real_resize) noexcept {
    uint32_t stack_id = 0;
    if (owned && size != 0 && prepareAllocation(size, &stack_id)) {
        errno = ENOMEM;  // injected: the old block stays valid and tracked, as with a real failure
        return nullptr;
    }
    LiveEntry old{};
    bool known;
    {
        ErrnoKeeper keep_errno;
        known = live_table::detach(addressOf(pointer), &old);
        if (!known && unknownFreeIsBad(owned))
            recordWithFreshStack(snapshot::EventKind::BadFree, addressOf(pointer), size);
    }
    void* result = real_resize(pointer, size);
    ErrnoKeeper keep_errno;  // from here on errno is the real realloc's
    if (!result) {
        if (size == 0) {  // glibc: realloc(p, 0) frees p
            if (known) live_table::countDetachedFree(old);
        } else {
            if (known) live_table::reattach(old);
            if (owned) recordEvent(snapshot::EventKind::FailedAllocation, 0, size, stack_id);
        }
        return result;
    }
    LiveEntry fresh = owned ? trackedEntry(result, size, stack_id) : LiveEntry{addressOf(result), size, 0, 0, 0};
    if (!known) {
        live_table::insert(fresh);
    } else if (result == pointer) {
        live_table::insertResizedInPlace(old, fresh);
    } else {
        live_table::insertMoved(old, fresh);
    }
    return result;
}

}  // namespace

void* reallocate(void* pointer, size_t size, bool owned, void* (*real_realloc)(void*, size_t)) noexcept {
    return reallocateWith(pointer, size, owned, real_realloc);
}

void* reallocate(void* pointer, size_t size, bool owned, void* (*real_rallocx)(void*, size_t, int),
                 int flags) noexcept {
    return reallocateWith(pointer, size, owned,
                          [real_rallocx, flags](void* block, size_t bytes) { return real_rallocx(block, bytes, flags); });
}

size_t resizeInPlace(void* pointer, size_t size, size_t extra, bool owned,
                     size_t (*real_xallocx)(void*, size_t, size_t, int), int flags) noexcept {
    // No fault injection: a failed xallocx is not a failed allocation (the program keeps its block
    // and usually falls back to rallocx, which is injected like realloc).
    const uint32_t stack_id = owned ? captureStack() : 0;
    LiveEntry old{};
    bool known;
    {
        ErrnoKeeper keep_errno;
        known = live_table::detach(addressOf(pointer), &old);
    }
    const size_t result = real_xallocx(pointer, size, extra, flags);
    if (!known) return result;  // not a block this process got through the hooks: nothing to update
    ErrnoKeeper keep_errno;
    if (result < size) {
        live_table::reattach(old);
        return result;
    }
    size_t wanted;
    if (__builtin_add_overflow(size, extra, &wanted)) wanted = SIZE_MAX;
    const size_t recorded = result < wanted ? result : wanted;
    const bool tracked = old.sequence != 0;
    LiveEntry fresh = tracked && owned ? trackedEntry(pointer, recorded, stack_id)
                                       : LiveEntry{addressOf(pointer), recorded, old.sequence, old.stack_id, old.thread_id};
    live_table::insertResizedInPlace(old, fresh);
    return result;
}

void beginAttachWindow() noexcept {
    gUnknownFreesSilent.store(true, std::memory_order_relaxed);  // the peak restarts with live_table::clear()
}

}  // namespace memory
}  // namespace leakscope::preload
