// Sharded open-addressing table of live allocations; see LiveTable.h for the layout and its costs.
#include "tables/LiveTable.h"

#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <sys/mman.h>

#include "tables/SpinLock.h"

namespace leakscope::preload::live_table {
namespace {

constexpr size_t kShardCount = 128;           // power of two; > threads x 8 keeps contention rare
constexpr uint32_t kInitialCapacity = 1024;   // power of two, slots per shard (24 KiB, mapped lazily by the kernel)
constexpr uint64_t kMaxCapacity = uint64_t{1} << 31;  // slot counts are 32-bit: 48 GiB of slots per shard

// A LiveEntry packed into 24 bytes instead of 32. Field widths: a user-space address fits 48 bits, a
// size that was actually allocated 47, stack ids stay below 2^22 (the stack table's id space) and
// thread ids below 2^22 (the kernel's PID_MAX_LIMIT); 49 bits of sequence are 5.6e14 events. Values
// outside (never seen in practice) are clamped, except an address: see insert.
struct Slot {
    uint64_t word0;  // address | stack_id bits 0..15 << 48
    uint64_t word1;  // size | stack_id bits 16..23 << 47 | thread_id bits 0..8 << 55
    uint64_t word2;  // sequence | thread_id bits 9..23 << 49

    uint64_t address() const noexcept { return word0 & kAddressMask; }

    static constexpr uint64_t kAddressMask = (uint64_t{1} << 48) - 1;
    static constexpr uint64_t kSizeMask = (uint64_t{1} << 47) - 1;
    static constexpr uint64_t kSequenceMask = (uint64_t{1} << 49) - 1;
    static constexpr uint64_t kIdMask = (uint64_t{1} << 24) - 1;

    static bool fits(const LiveEntry& entry) noexcept { return (entry.address & ~kAddressMask) == 0; }

    static Slot pack(const LiveEntry& e) noexcept {
        auto clamp = [](uint64_t value, uint64_t mask) { return value > mask ? mask : value; };
        uint64_t stack = clamp(e.stack_id, kIdMask), thread = clamp(e.thread_id, kIdMask);
        return Slot{e.address | (stack & 0xffff) << 48,
                    clamp(e.size, kSizeMask) | (stack >> 16) << 47 | (thread & 0x1ff) << 55,
                    clamp(e.sequence, kSequenceMask) | (thread >> 9) << 49};
    }

    LiveEntry unpack() const noexcept {
        auto stack = static_cast<uint32_t>(word0 >> 48 | (word1 >> 47 & 0xff) << 16);
        auto thread = static_cast<uint32_t>(word1 >> 55 | (word2 >> 49) << 9);
        return LiveEntry{address(), word1 & kSizeMask, word2 & kSequenceMask, stack, thread};
    }
};
static_assert(sizeof(Slot) == 24);

// One cache line holds everything an allocation touches (lock, slots, counts, the allocation-side
// counters); a free touches it and the second line (frees, bytes_freed). live_allocations is not
// kept: it is the slots in use minus the tracker's own entries (`internal`), both counted anyway.
struct alignas(64) Shard {
    SpinLock lock;
    Slot* slots = nullptr;
    uint32_t capacity = 0;  // a power of two, >= kInitialCapacity
    uint32_t used = 0;      // slots in use
    uint32_t internal = 0;  // of which the tracker's own entries (sequence 0)
    uint64_t live_bytes = 0;
    uint64_t peak_live_bytes = 0;
    uint64_t allocations = 0;
    uint64_t bytes_allocated = 0;
    // second line
    uint64_t frees = 0;
    uint64_t bytes_freed = 0;
    uint64_t reallocations = 0;
};
static_assert(offsetof(Shard, bytes_allocated) + sizeof(uint64_t) <= 64);

Shard* gShards = nullptr;
std::atomic<bool> gReady{false};

// The hash of an address chooses its shard (low 7 bits) and its home slot there (the bits above).
// Heap pointers share their low 4 bits and often their high bits: fold and multiply.
inline uint64_t mix(uint64_t address) noexcept {
    uint64_t x = address >> 4;
    x ^= x >> 29;
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 32);
}

inline Shard& shardOf(uint64_t hash) noexcept { return gShards[hash & (kShardCount - 1)]; }
inline uint32_t homeSlot(uint64_t hash, uint32_t capacity) noexcept {
    return static_cast<uint32_t>(hash >> 7) & (capacity - 1);
}

Slot* mapSlots(size_t capacity) noexcept {
    const size_t bytes = capacity * sizeof(Slot);
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return nullptr;
    return static_cast<Slot*>(memory);
}

// Finds the slot holding `address`, or the empty slot where it would go.
inline uint32_t probe(const Slot* slots, uint32_t capacity, uint64_t address, uint64_t hash) noexcept {
    const uint32_t mask = capacity - 1;
    uint32_t slot = homeSlot(hash, capacity);
    for (;;) {
        uint64_t held = slots[slot].address();
        if (held == address || held == 0) return slot;
        slot = (slot + 1) & mask;
    }
}

// Moves the shard's entries to a new array of `capacity` slots (growth and shrinking alike): mmap, rehash,
// munmap, so the old slots go back to the kernel at once.
bool resize(Shard& shard, uint64_t capacity) noexcept {
    if (capacity > kMaxCapacity) return false;
    const auto new_capacity = static_cast<uint32_t>(capacity);
    Slot* slots = mapSlots(new_capacity);
    if (!slots) return false;
    for (uint32_t i = 0; i < shard.capacity; ++i) {
        uint64_t address = shard.slots[i].address();
        if (address == 0) continue;
        slots[probe(slots, new_capacity, address, mix(address))] = shard.slots[i];
    }
    munmap(shard.slots, size_t{shard.capacity} * sizeof(Slot));
    shard.slots = slots;
    shard.capacity = new_capacity;
    return true;
}

// Doubles at 70 % load: a shard sits between 35 % and 70 % full, 34..69 bytes of slot per live
// allocation. (Growing by half at 70 % or 80 % would narrow that to 34..51 or 30..45 bytes, but measured
// at 1M live it costs ~110 instructions and ~1.3 cache misses more per malloc+free: docs/BENCHMARKS.md.)
inline bool needsGrowth(const Shard& shard) noexcept {
    return (uint64_t{shard.used} + 1) * 10 > uint64_t{shard.capacity} * 7;
}

// Shrinks below 1/16 load, to the power of two that puts it between 20 % and 40 %: the slots of a heap
// that was large and was freed go back to the kernel, and later walks (snapshots, the exit) do not read
// them. Between two resizes the shard gains or loses at least a quarter of its entries, so the
// rehashing stays amortised.
inline bool needsShrinking(const Shard& shard) noexcept {
    return shard.capacity > kInitialCapacity && uint64_t{shard.used} * 16 < shard.capacity;
}
inline uint64_t shrunkCapacity(const Shard& shard) noexcept {
    uint64_t capacity = kInitialCapacity;
    while (capacity * 2 < uint64_t{shard.used} * 5) capacity *= 2;  // used / capacity >= 0.2 ... < 0.4
    return capacity;
}

// Backward-shift deletion keeps every probe chain unbroken without tombstones.
void eraseSlot(Shard& shard, uint32_t slot) noexcept {
    const uint32_t mask = shard.capacity - 1;
    Slot* slots = shard.slots;
    uint32_t hole = slot;
    for (uint32_t next = (hole + 1) & mask;; next = (next + 1) & mask) {
        uint64_t address = slots[next].address();
        if (address == 0) break;
        // The entry at `next` may move into the hole when its home is not in (hole, next]
        // (cyclically): its distance from home is at least the hole's.
        uint32_t home = homeSlot(mix(address), shard.capacity);
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            slots[hole] = slots[next];
            hole = next;
        }
    }
    slots[hole] = Slot{};
    --shard.used;
}

}  // namespace

bool initialise() noexcept {
    if (gReady.load(std::memory_order_acquire)) return true;
    void* memory = mmap(nullptr, sizeof(Shard) * kShardCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (memory == MAP_FAILED) return false;
    auto* shards = static_cast<Shard*>(memory);
    for (size_t i = 0; i < kShardCount; ++i) {
        new (&shards[i]) Shard();
        shards[i].slots = mapSlots(kInitialCapacity);
        if (!shards[i].slots) return false;
        shards[i].capacity = kInitialCapacity;
    }
    gShards = shards;
    gReady.store(true, std::memory_order_release);
    return true;
}

void clear() noexcept {
    if (!gReady.load(std::memory_order_acquire)) return;
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        SpinLockHolder hold(shard.lock);
        // An empty shard's slots are all zero already (deletion shifts back, leaving no tombstones);
        // a used one gets fresh zero pages from the kernel instead of being written (and committed).
        if (shard.used != 0 &&
            madvise(static_cast<void*>(shard.slots), size_t{shard.capacity} * sizeof(Slot), MADV_DONTNEED) != 0)
            std::memset(static_cast<void*>(shard.slots), 0, size_t{shard.capacity} * sizeof(Slot));
        shard.used = 0;
        shard.internal = 0;
        shard.live_bytes = shard.peak_live_bytes = shard.allocations = shard.bytes_allocated = 0;
        shard.frees = shard.bytes_freed = shard.reallocations = 0;
    }
}

bool ready() noexcept { return gReady.load(std::memory_order_acquire); }

namespace {

// What one table operation does to the shard's counters (a template argument: each operation's
// accounting compiles to its few additions, no switch at run time).
enum class Accounting { Allocation, Free, DetachOnly, ReattachOnly, Moved, ResizedInPlace };

template <Accounting kind>
inline void account(Shard& shard, uint64_t size, uint64_t old_size) noexcept {
    if constexpr (kind == Accounting::Free || kind == Accounting::DetachOnly) {
        if constexpr (kind == Accounting::Free) {
            shard.frees++;
            shard.bytes_freed += size;
        }
        shard.live_bytes -= size;
    } else {
        if constexpr (kind == Accounting::Allocation || kind == Accounting::Moved) {
            shard.allocations++;
            shard.bytes_allocated += size;
        }
        if constexpr (kind == Accounting::Moved) shard.reallocations++;
        if constexpr (kind == Accounting::ResizedInPlace) {
            shard.reallocations++;
            shard.bytes_allocated += size;
            shard.bytes_freed += old_size;
        }
        shard.live_bytes += size;
        if (shard.live_bytes > shard.peak_live_bytes) shard.peak_live_bytes = shard.live_bytes;
    }
}

// A signal handler that allocates or frees while its thread is inside a table operation reaches the
// table again on the same thread; waiting for a lock this thread holds would wait forever, and so
// would waiting for one held by a thread in lockAllForFork that waits for ours. Such a nested call
// leaves the table alone instead: its block goes untracked (the program made it in a signal handler,
// where malloc is not async-signal-safe to begin with), which is far better than a hung program.
// The lock word names its owner, so the question "does this thread hold a shard lock?" is asked only
// when the shard is busy: an uncontended operation pays nothing for it (no thread-local mark).
bool holdsAnyShardLock() noexcept {
    for (size_t i = 0; i < kShardCount; ++i)
        if (gShards[i].lock.ownedHere()) return true;
    return false;
}

// Takes the shard's lock, or returns false for a nested call (above). A free shard is taken even when
// this thread holds another: it is released before the nested call returns, and nobody who holds a
// shard lock waits for a second one except lockAllForFork, which takes them in order.
inline bool lockShard(Shard& shard) noexcept {
    if (__builtin_expect(shard.lock.tryLock(), true)) return true;
    if (holdsAnyShardLock()) return false;
    shard.lock.lock();
    return true;
}

class ShardLockHolder {
public:
    explicit ShardLockHolder(Shard& shard) noexcept : lock_(shard.lock), held_(lockShard(shard)) {}
    ~ShardLockHolder() {
        if (held_) lock_.unlock();
    }
    bool held() const noexcept { return held_; }
    ShardLockHolder(const ShardLockHolder&) = delete;
    ShardLockHolder& operator=(const ShardLockHolder&) = delete;

private:
    SpinLock& lock_;
    bool held_;
};

template <Accounting kind>
bool insertAccounted(const LiveEntry& entry, uint64_t old_size) noexcept {
    // Above 2^48 (only with 5-level paging and an explicit high mmap hint) the block stays untracked.
    if (!Slot::fits(entry)) return false;
    const uint64_t hash = mix(entry.address);
    Shard& shard = shardOf(hash);
    ShardLockHolder hold(shard);
    if (!hold.held()) return false;
    if (__builtin_expect(needsGrowth(shard), false) && !resize(shard, uint64_t{shard.capacity} * 2)) return false;
    uint32_t slot = probe(shard.slots, shard.capacity, entry.address, hash);
    Slot& target = shard.slots[slot];
    if (__builtin_expect(target.address() != 0, false)) {
        // Stale: freed behind our back.
        LiveEntry stale = target.unpack();
        if (stale.sequence != 0) account<Accounting::Free>(shard, stale.size, 0);
        else --shard.internal;
    } else {
        ++shard.used;
    }
    target = Slot::pack(entry);
    if (entry.sequence != 0) account<kind>(shard, entry.size, old_size);
    else ++shard.internal;  // the tracker's own blocks are never counted
    return true;
}

template <Accounting kind>
bool removeAccounted(uint64_t address, LiveEntry* removed) noexcept {
    const uint64_t hash = mix(address);
    Shard& shard = shardOf(hash);
    ShardLockHolder hold(shard);
    if (!hold.held()) return false;
    uint32_t slot = probe(shard.slots, shard.capacity, address, hash);
    if (shard.slots[slot].address() == 0) return false;
    *removed = shard.slots[slot].unpack();
    if (removed->sequence != 0) account<kind>(shard, removed->size, 0);
    else --shard.internal;
    eraseSlot(shard, slot);
    if (__builtin_expect(needsShrinking(shard), false)) resize(shard, shrunkCapacity(shard));  // may fail: kept
    return true;
}

void countFreeOf(const LiveEntry& entry) noexcept {
    if (entry.sequence == 0) return;
    Shard& shard = shardOf(mix(entry.address));
    ShardLockHolder hold(shard);
    if (!hold.held()) return;
    shard.frees++;
    shard.bytes_freed += entry.size;
}

}  // namespace

bool insert(const LiveEntry& entry) noexcept { return insertAccounted<Accounting::Allocation>(entry, 0); }

bool remove(uint64_t address, LiveEntry* removed) noexcept {
    return removeAccounted<Accounting::Free>(address, removed);
}

bool detach(uint64_t address, LiveEntry* removed) noexcept {
    return removeAccounted<Accounting::DetachOnly>(address, removed);
}

void reattach(const LiveEntry& entry) noexcept { insertAccounted<Accounting::ReattachOnly>(entry, 0); }

void insertMoved(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept {
    countFreeOf(old_entry);  // detach() already took it out of the live counts
    if (old_entry.sequence == 0) insertAccounted<Accounting::Allocation>(new_entry, 0);
    else insertAccounted<Accounting::Moved>(new_entry, 0);
}

void countDetachedFree(const LiveEntry& entry) noexcept { countFreeOf(entry); }

void insertResizedInPlace(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept {
    insertAccounted<Accounting::ResizedInPlace>(new_entry, old_entry.size);
}

void forEachTracked(void (*visit)(const LiveEntry&, void*), void* context) noexcept {
    if (!ready()) return;
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        SpinLockHolder hold(shard.lock);
        if (shard.used == shard.internal) continue;  // nothing tracked: skip its slots
        for (uint32_t slot = 0; slot < shard.capacity; ++slot) {
            const Slot& packed = shard.slots[slot];
            if (packed.address() == 0) continue;
            LiveEntry entry = packed.unpack();
            if (entry.sequence != 0) visit(entry, context);
        }
    }
}

size_t slotsInUseLocked() noexcept {
    if (!ready()) return 0;
    size_t used = 0;
    for (size_t i = 0; i < kShardCount; ++i) used += gShards[i].used;
    return used;
}

void forEachMappingLocked(void (*visit)(uint64_t begin, uint64_t end, void*), void* context) noexcept {
    if (!ready()) return;
    const auto shards = reinterpret_cast<uint64_t>(gShards);
    visit(shards, shards + kShardCount * sizeof(Shard), context);
    for (size_t i = 0; i < kShardCount; ++i) {
        const Shard& shard = gShards[i];
        const auto slots = reinterpret_cast<uint64_t>(shard.slots);
        if (slots) visit(slots, slots + uint64_t{shard.capacity} * sizeof(Slot), context);
    }
}

LiveCounters sumCounters() noexcept {
    LiveCounters total;
    if (!ready()) return total;
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        SpinLockHolder hold(shard.lock);
        total.allocations += shard.allocations;
        total.frees += shard.frees;
        total.reallocations += shard.reallocations;
        total.bytes_allocated += shard.bytes_allocated;
        total.bytes_freed += shard.bytes_freed;
        total.live_allocations += shard.used - shard.internal;
        total.live_bytes += shard.live_bytes;
        total.peak_live_bytes += shard.peak_live_bytes;
    }
    return total;
}

void forgetThreadState() noexcept {
    if (ready())
        for (size_t i = 0; i < kShardCount; ++i) gShards[i].lock.releaseIfOwnedHere();
}

void lockAllForFork() noexcept {
    if (!ready()) return;
    for (size_t i = 0; i < kShardCount; ++i) gShards[i].lock.lock();
}

void unlockAllAfterFork() noexcept {
    if (!ready()) return;
    for (size_t i = 0; i < kShardCount; ++i) gShards[i].lock.unlock();
}

}  // namespace leakscope::preload::live_table
