// Sharded open-addressing table of live allocations; see LiveTable.h for the layout and its costs.
#include "tables/LiveTable.h"

#include <atomic>
#include <cstring>
#include <new>
#include <sys/mman.h>

#include "tables/SpinLock.h"

namespace leakscope::preload::live_table {
namespace {

constexpr size_t kShardCount = 128;          // power of two; > threads x 8 keeps contention rare
constexpr size_t kInitialCapacity = 1024;    // slots per shard (24 KiB, mapped lazily by the kernel)

// A LiveEntry packed into 24 bytes instead of 32. With doubling growth at 70% load a table sits
// between 35% and 70% full, so a slot costs 34..69 bytes per live allocation (49 at W5's 1M) where
// 32-byte slots cost 46..91 (67 at 1M), over issue 8's 64. Field widths: a user-space address fits
// 48 bits, a size that was actually allocated 47, stack ids stay below 2^22 (the stack table's id
// space) and thread ids below 2^22 (the kernel's PID_MAX_LIMIT); 49 bits of sequence are 5.6e14
// events. Values outside (never seen in practice) are clamped, except an address: see insert.
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

struct alignas(64) Shard {
    SpinLock lock;
    Slot* slots = nullptr;
    size_t capacity = 0;  // power of two
    size_t used = 0;
    LiveCounters counters;
};

Shard* gShards = nullptr;
std::atomic<bool> gReady{false};

inline uint64_t mix(uint64_t address) noexcept {
    // Heap pointers share their low 4 bits and often their high bits: fold and multiply.
    uint64_t x = address >> 4;
    x ^= x >> 29;
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 32);
}

inline Shard& shardOf(uint64_t hash) noexcept { return gShards[hash & (kShardCount - 1)]; }
inline size_t homeSlot(uint64_t hash, size_t capacity) noexcept { return (hash >> 7) & (capacity - 1); }

Slot* mapSlots(size_t capacity) noexcept {
    void* memory = mmap(nullptr, capacity * sizeof(Slot), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return memory == MAP_FAILED ? nullptr : static_cast<Slot*>(memory);
}

// Finds the slot holding `address`, or the empty slot where it would go.
size_t probe(const Shard& shard, uint64_t address, uint64_t hash) noexcept {
    size_t mask = shard.capacity - 1;
    size_t slot = homeSlot(hash, shard.capacity);
    while (shard.slots[slot].address() != 0 && shard.slots[slot].address() != address) slot = (slot + 1) & mask;
    return slot;
}

bool grow(Shard& shard) noexcept {
    size_t capacity = shard.capacity * 2;
    Slot* slots = mapSlots(capacity);
    if (!slots) return false;
    Slot* old = shard.slots;
    size_t old_capacity = shard.capacity;
    shard.slots = slots;
    shard.capacity = capacity;
    for (size_t i = 0; i < old_capacity; ++i) {
        uint64_t address = old[i].address();
        if (address == 0) continue;
        shard.slots[probe(shard, address, mix(address))] = old[i];
    }
    munmap(old, old_capacity * sizeof(Slot));
    return true;
}

// Backward-shift deletion keeps every probe chain unbroken without tombstones.
void eraseSlot(Shard& shard, size_t slot) noexcept {
    size_t mask = shard.capacity - 1;
    size_t hole = slot;
    for (size_t next = (hole + 1) & mask; shard.slots[next].address() != 0; next = (next + 1) & mask) {
        size_t home = homeSlot(mix(shard.slots[next].address()), shard.capacity);
        // The entry at `next` may move into the hole if its home is not in (hole, next].
        bool home_between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
        if (!home_between) {
            shard.slots[hole] = shard.slots[next];
            hole = next;
        }
    }
    shard.slots[hole] = Slot{};
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
            madvise(static_cast<void*>(shard.slots), shard.capacity * sizeof(Slot), MADV_DONTNEED) != 0)
            std::memset(static_cast<void*>(shard.slots), 0, shard.capacity * sizeof(Slot));
        shard.used = 0;
        shard.counters = LiveCounters{};
    }
}

bool ready() noexcept { return gReady.load(std::memory_order_acquire); }

namespace {

// What one table operation does to the shard's counters.
enum class Accounting { Allocation, Free, DetachOnly, ReattachOnly, Moved, ResizedInPlace };

inline void raisePeak(LiveCounters& c) noexcept {
    if (c.live_bytes > c.peak_live_bytes) c.peak_live_bytes = c.live_bytes;
}

void account(Shard& shard, const LiveEntry& entry, Accounting accounting, uint64_t old_size) noexcept {
    if (entry.sequence == 0) return;  // the tracker's own blocks are never counted
    LiveCounters& c = shard.counters;
    switch (accounting) {
        case Accounting::Allocation:
        case Accounting::Moved:
            c.allocations++;
            c.bytes_allocated += entry.size;
            [[fallthrough]];
        case Accounting::ReattachOnly:
            c.live_allocations++;
            c.live_bytes += entry.size;
            raisePeak(c);
            if (accounting == Accounting::Moved) c.reallocations++;
            break;
        case Accounting::ResizedInPlace:
            c.reallocations++;
            c.bytes_allocated += entry.size;
            c.bytes_freed += old_size;
            c.live_allocations++;
            c.live_bytes += entry.size;
            raisePeak(c);
            break;
        case Accounting::Free:
            c.frees++;
            c.bytes_freed += entry.size;
            [[fallthrough]];
        case Accounting::DetachOnly:
            c.live_allocations--;
            c.live_bytes -= entry.size;
            break;
    }
}

// Set while this thread holds a shard lock. A signal handler that allocates or frees while its thread
// is inside such a section reaches the table again on the same thread; waiting for the lock would
// wait for ourselves forever. Such a nested call leaves the table alone instead: its block goes
// untracked (the program's code made it in a signal handler, where malloc is not async-signal-safe
// to begin with), which is far better than a hung program.
thread_local bool tHoldsShardLock __attribute__((tls_model("initial-exec"))) = false;

// The mark covers the whole time the lock is held: it is set before the lock is taken and cleared
// after it is released (signal fences keep the compiler from moving either across), so no signal can
// land while this thread holds the lock unmarked.
class ShardLockHolder {
public:
    explicit ShardLockHolder(Shard& shard) noexcept : lock_(shard.lock) {
        tHoldsShardLock = true;
        std::atomic_signal_fence(std::memory_order_seq_cst);
        lock_.lock();
    }
    ~ShardLockHolder() {
        lock_.unlock();
        std::atomic_signal_fence(std::memory_order_seq_cst);
        tHoldsShardLock = false;
    }
    ShardLockHolder(const ShardLockHolder&) = delete;
    ShardLockHolder& operator=(const ShardLockHolder&) = delete;

private:
    SpinLock& lock_;
};

bool insertAccounted(const LiveEntry& entry, Accounting accounting, uint64_t old_size) noexcept {
    // Above 2^48 (only with 5-level paging and an explicit high mmap hint) the block stays untracked.
    if (!Slot::fits(entry) || tHoldsShardLock) return false;
    uint64_t hash = mix(entry.address);
    Shard& shard = shardOf(hash);
    ShardLockHolder hold(shard);
    if ((shard.used + 1) * 10 > shard.capacity * 7 && !grow(shard)) return false;
    size_t slot = probe(shard, entry.address, hash);
    if (shard.slots[slot].address() != 0) {
        account(shard, shard.slots[slot].unpack(), Accounting::Free, 0);  // stale: freed behind our back
    } else {
        ++shard.used;
    }
    shard.slots[slot] = Slot::pack(entry);
    account(shard, entry, accounting, old_size);
    return true;
}

bool removeAccounted(uint64_t address, LiveEntry* removed, Accounting accounting) noexcept {
    if (tHoldsShardLock) return false;
    uint64_t hash = mix(address);
    Shard& shard = shardOf(hash);
    ShardLockHolder hold(shard);
    size_t slot = probe(shard, address, hash);
    if (shard.slots[slot].address() == 0) return false;
    *removed = shard.slots[slot].unpack();
    account(shard, *removed, accounting, 0);
    eraseSlot(shard, slot);
    return true;
}

void countFreeOf(const LiveEntry& entry) noexcept {
    if (entry.sequence == 0 || tHoldsShardLock) return;
    Shard& shard = shardOf(mix(entry.address));
    ShardLockHolder hold(shard);
    shard.counters.frees++;
    shard.counters.bytes_freed += entry.size;
}

}  // namespace

bool insert(const LiveEntry& entry) noexcept { return insertAccounted(entry, Accounting::Allocation, 0); }

bool remove(uint64_t address, LiveEntry* removed) noexcept {
    return removeAccounted(address, removed, Accounting::Free);
}

bool detach(uint64_t address, LiveEntry* removed) noexcept {
    return removeAccounted(address, removed, Accounting::DetachOnly);
}

void reattach(const LiveEntry& entry) noexcept { insertAccounted(entry, Accounting::ReattachOnly, 0); }

void insertMoved(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept {
    countFreeOf(old_entry);  // detach() already took it out of the live counts
    insertAccounted(new_entry, old_entry.sequence == 0 ? Accounting::Allocation : Accounting::Moved, 0);
}

void countDetachedFree(const LiveEntry& entry) noexcept { countFreeOf(entry); }

void insertResizedInPlace(const LiveEntry& old_entry, const LiveEntry& new_entry) noexcept {
    insertAccounted(new_entry, Accounting::ResizedInPlace, old_entry.size);
}

void forEachTracked(void (*visit)(const LiveEntry&, void*), void* context) noexcept {
    if (!ready()) return;
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        ShardLockHolder hold(shard);
        for (size_t slot = 0; slot < shard.capacity; ++slot) {
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

void forEachMapping(void (*visit)(uint64_t begin, uint64_t end, void*), void* context) noexcept {
    if (!ready()) return;
    const auto shards = reinterpret_cast<uint64_t>(gShards);
    visit(shards, shards + kShardCount * sizeof(Shard), context);
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        ShardLockHolder hold(shard);
        const auto slots = reinterpret_cast<uint64_t>(shard.slots);
        if (slots) visit(slots, slots + shard.capacity * sizeof(Slot), context);
    }
}

LiveCounters sumCounters() noexcept {
    LiveCounters total;
    if (!ready()) return total;
    for (size_t i = 0; i < kShardCount; ++i) {
        Shard& shard = gShards[i];
        ShardLockHolder hold(shard);
        total.allocations += shard.counters.allocations;
        total.frees += shard.counters.frees;
        total.reallocations += shard.counters.reallocations;
        total.bytes_allocated += shard.counters.bytes_allocated;
        total.bytes_freed += shard.counters.bytes_freed;
        total.live_allocations += shard.counters.live_allocations;
        total.live_bytes += shard.counters.live_bytes;
        total.peak_live_bytes += shard.counters.peak_live_bytes;
    }
    return total;
}

void forgetThreadState() noexcept {
    if (ready())
        for (size_t i = 0; i < kShardCount; ++i) gShards[i].lock.releaseIfOwnedHere();
    tHoldsShardLock = false;
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
