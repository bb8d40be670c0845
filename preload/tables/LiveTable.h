// The live-allocation table: pointer -> {size, sequence, thread, stack id}. 128 shards chosen by the
// pointer's hash, each an open-addressing array (linear probing, backward-shift deletion, no
// tombstones) behind its own spin lock, memory from mmap. Entries are packed into 24-byte slots; a
// shard doubles at 70 % load (35..70 % full: 34..69 bytes per live allocation) and shrinks below 1/16
// load, so the slots of a heap that was freed go back to the kernel and later walks skip them. Each
// shard also keeps the cumulative counters of the allocations it saw, so the hot path touches no
// shared cache line besides its shard's.
//
// Entries with sequence 0 are the tracker's own (allocated while the recursion guard was held):
// kept so that their frees are recognised, but excluded from counters and snapshots.
//
// Signal safety: a table call made on a thread that already holds a shard lock (a signal handler that
// interrupted a table operation) returns false / does nothing rather than wait: see LiveTable.cpp.
// Readers (forEachTracked, sumCounters) wait for each lock: they are never called
// nested inside a table operation (a snapshot requested there is deferred to the next safe point).
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload {

struct LiveEntry {
    uint64_t address;  // 0 marks an empty slot
    uint64_t size;
    uint64_t sequence;  // 0: tracker-internal
    uint32_t stack_id;
    uint32_t thread_id;
};
static_assert(sizeof(LiveEntry) == 32);

struct LiveCounters {
    uint64_t allocations = 0;
    uint64_t frees = 0;
    uint64_t reallocations = 0;
    uint64_t bytes_allocated = 0;
    uint64_t bytes_freed = 0;
    uint64_t live_allocations = 0;
    uint64_t live_bytes = 0;
    // Per shard: the shard's high-water mark of live_bytes. Summed over the shards (sumCounters) it is
    // an upper bound of the process's peak, never below it: the shards' peaks need not fall at the same
    // moment. Kept per shard, under the shard lock the operation holds anyway, so that no allocation
    // touches a process-wide counter.
    uint64_t peak_live_bytes = 0;
};

namespace live_table {

// Maps the shards (called once from the core's first-use initialisation). False if mmap failed.
bool initialise() noexcept;
bool ready() noexcept;
// Forgets every entry and counter (a new `leakscope attach` window: what the previous one recorded
// was freed since without the hooks seeing it).
void clear() noexcept;

// Adds an entry and counts an allocation. A pointer already present (a free the tracker missed) is
// overwritten. Returns false when the table could not grow (the allocation is then untracked).
bool insert(const LiveEntry& entry) noexcept;
// Removes `address` and counts a free; fills `removed` and returns true when it was present.
bool remove(uint64_t address, LiveEntry* removed) noexcept;

// realloc support. The old block leaves the table *before* the real realloc runs (once it returns,
// another thread may already own that address), so the steps are: detach() (live counts only) ->
// real realloc -> reattach() on failure, or insertMoved()/insertResizedInPlace() on success.
bool detach(uint64_t address, LiveEntry* removed) noexcept;
void reattach(const LiveEntry& entry) noexcept;
// Moved: the old block counts as freed, the new one as allocated, plus one reallocation.
void insertMoved(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept;
// realloc(p, 0) freed the detached block: count its free.
void countDetachedFree(const LiveEntry& entry) noexcept;
// Same pointer: one reallocation, bytes adjusted, no allocation or free counted.
void insertResizedInPlace(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept;

// Calls visit(entry, context) for every tracked (sequence != 0) entry, one shard lock at a time.
void forEachTracked(void (*visit)(const LiveEntry&, void*), void* context) noexcept;
// Slots in use in every shard (tracked and tracker-internal entries): an upper bound of what
// forEachTracked visits. Only while every shard lock is held (lockAllForFork), so it cannot change.
size_t slotsInUseLocked() noexcept;
// Calls visit(begin, end, context) for each of the table's own memory ranges (the shard array and
// each shard's slots): the reachability scan must not take the addresses stored there for pointers.
// Only while every shard lock is held (lockAllForFork): a shard that grew or shrank between this call
// and the scan's clone would leave its new slot array unexcluded, and the scan would read every block
// whose address it holds as reachable.
void forEachMappingLocked(void (*visit)(uint64_t begin, uint64_t end, void*), void* context) noexcept;
// Sums the shards' counters (peak_live_bytes: the sum of the shards' peaks, see LiveCounters).
LiveCounters sumCounters() noexcept;

// longjmp recovery (tracker/ThreadState.h): the shard locks this thread owns are released.
void forgetThreadState() noexcept;

// fork(): the prepare handler takes every shard lock; parent and child release them.
void lockAllForFork() noexcept;
void unlockAllAfterFork() noexcept;

}  // namespace live_table
}  // namespace leakscope::preload
