// Events that are bugs on their own (bad free, bad close, failed or injected allocation failure),
// each with its stack. Bounded: the first kEventsPerKind of each kind are stored, every one is
// counted; the store is static memory, so recording never allocates. Closes of fds never held
// (UnopenedFdClose) are stored one record per stack, its `size` counting them: a daemon's sweep over
// every fd number up to RLIMIT_NOFILE is one call site making thousands of them, and storing each would
// fill the store with copies and drop the rest.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload::event_store {

inline constexpr size_t kEventsPerKind = 256;

void record(snapshot::EventKind kind, uint64_t value, uint64_t size, uint32_t stack_id, uint64_t sequence,
            uint32_t thread_id) noexcept;

// Events of this kind seen so far (stored or not).
uint64_t countOf(snapshot::EventKind kind) noexcept;
// Events counted but not stored because their kind's store was full.
uint64_t dropped() noexcept;

void forEach(void (*visit)(const snapshot::EventRecord&, void*), void* context) noexcept;

// longjmp recovery (tracker/ThreadState.h): the store's lock, when this thread owns it, is released.
void releaseLockOwnedHere() noexcept;

// Forgets every event and count (a new `leakscope attach` window).
void clear() noexcept;

void lockForFork() noexcept;
void unlockAfterFork() noexcept;

}  // namespace leakscope::preload::event_store
