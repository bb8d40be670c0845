// Stack deduplication: arena + sharded index + per-thread cache (see StackTable.h).
#include "tables/StackTable.h"

#include <atomic>
#include <cstring>
#include <new>
#include <sys/mman.h>

#include "tables/SpinLock.h"
#include "leakscope/snapshot_format.h"

namespace leakscope::preload::stack_table {
namespace {

constexpr size_t kArenaBytes = size_t{512} << 20;  // reserved, touched as used
constexpr uint32_t kMaxStacks = 1u << 22;          // 4M distinct stacks
constexpr size_t kIndexShards = 16;
constexpr size_t kInitialIndexCapacity = 4096;
constexpr size_t kThreadCacheSize = 64;

struct IndexSlot {
    uint32_t hash;  // low 32 bits of the stack hash
    uint32_t id;    // 0: empty
};

struct alignas(64) IndexShard {
    SpinLock lock;
    IndexSlot* slots = nullptr;
    size_t capacity = 0;
    size_t used = 0;
};

struct CachedStack {
    uint64_t hash;
    uint32_t id;
};

unsigned char* gArena = nullptr;
std::atomic<size_t> gArenaUsed{0};
std::atomic<uint64_t>* gOffsetOfId = nullptr;  // id -> arena offset + 1 (0: not published)
std::atomic<uint32_t> gNextId{1};
std::atomic<uint64_t> gFull{0};
IndexShard gShards[kIndexShards];
std::atomic<bool> gReady{false};

thread_local CachedStack tCache[kThreadCacheSize] __attribute__((tls_model("initial-exec")));

void* mapZeroed(size_t bytes) noexcept {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return memory == MAP_FAILED ? nullptr : memory;
}

uint64_t hashStack(const uint64_t* frames, uint16_t depth, uint16_t flags) noexcept {
    uint64_t h = 0xCBF29CE484222325ull ^ (uint64_t{depth} << 16 | flags);
    for (uint16_t i = 0; i < depth; ++i) {
        h ^= frames[i];
        h *= 0x100000001B3ull;
        h ^= h >> 31;
    }
    return h | 1;  // never 0, so an empty cache slot never matches
}

const snapshot::StackRecordHeader* recordOf(uint32_t id) noexcept {
    uint64_t stored = gOffsetOfId[id].load(std::memory_order_acquire);
    if (stored == 0) return nullptr;
    return reinterpret_cast<const snapshot::StackRecordHeader*>(gArena + (stored - 1));
}

bool sameStack(uint32_t id, const uint64_t* frames, uint16_t depth, uint16_t flags) noexcept {
    const snapshot::StackRecordHeader* record = recordOf(id);
    return record && record->depth == depth && record->flags == flags &&
           std::memcmp(record + 1, frames, depth * sizeof(uint64_t)) == 0;
}

bool growIndex(IndexShard& shard) noexcept {
    size_t capacity = shard.capacity * 2;
    auto* slots = static_cast<IndexSlot*>(mapZeroed(capacity * sizeof(IndexSlot)));
    if (!slots) return false;
    for (size_t i = 0; i < shard.capacity; ++i) {
        if (shard.slots[i].id == 0) continue;
        size_t slot = (shard.slots[i].hash >> 4) & (capacity - 1);
        while (slots[slot].id != 0) slot = (slot + 1) & (capacity - 1);
        slots[slot] = shard.slots[i];
    }
    munmap(shard.slots, shard.capacity * sizeof(IndexSlot));
    shard.slots = slots;
    shard.capacity = capacity;
    return true;
}

// Appends a record to the arena and publishes its id; 0 when full. Called with the shard lock held.
uint32_t store(const uint64_t* frames, uint16_t depth, uint16_t flags) noexcept {
    size_t bytes = sizeof(snapshot::StackRecordHeader) + depth * sizeof(uint64_t);
    size_t offset = gArenaUsed.fetch_add(bytes, std::memory_order_relaxed);
    if (offset + bytes > kArenaBytes) return 0;
    uint32_t id = gNextId.fetch_add(1, std::memory_order_relaxed);
    if (id >= kMaxStacks) return 0;
    auto* record = reinterpret_cast<snapshot::StackRecordHeader*>(gArena + offset);
    record->id = id;
    record->depth = depth;
    record->flags = flags;
    std::memcpy(record + 1, frames, depth * sizeof(uint64_t));
    gOffsetOfId[id].store(offset + 1, std::memory_order_release);
    return id;
}

}  // namespace

bool initialise() noexcept {
    if (gReady.load(std::memory_order_acquire)) return true;
    gArena = static_cast<unsigned char*>(mapZeroed(kArenaBytes));
    gOffsetOfId = static_cast<std::atomic<uint64_t>*>(mapZeroed(kMaxStacks * sizeof(uint64_t)));
    if (!gArena || !gOffsetOfId) return false;
    for (IndexShard& shard : gShards) {
        shard.slots = static_cast<IndexSlot*>(mapZeroed(kInitialIndexCapacity * sizeof(IndexSlot)));
        if (!shard.slots) return false;
        shard.capacity = kInitialIndexCapacity;
    }
    gReady.store(true, std::memory_order_release);
    return true;
}

uint32_t intern(const uint64_t* frames, uint16_t depth, uint16_t flags) noexcept {
    if (!gReady.load(std::memory_order_acquire)) return 0;
    uint64_t hash = hashStack(frames, depth, flags);
    CachedStack& cached = tCache[(hash >> 8) & (kThreadCacheSize - 1)];
    if (cached.hash == hash && sameStack(cached.id, frames, depth, flags)) return cached.id;

    IndexShard& shard = gShards[hash & (kIndexShards - 1)];
    uint32_t id = 0;
    {
        SpinLockHolder hold(shard.lock);
        auto hash32 = static_cast<uint32_t>(hash >> 32);
        size_t mask = shard.capacity - 1;
        size_t slot = (hash32 >> 4) & mask;
        for (; shard.slots[slot].id != 0; slot = (slot + 1) & mask) {
            if (shard.slots[slot].hash == hash32 && sameStack(shard.slots[slot].id, frames, depth, flags)) {
                id = shard.slots[slot].id;
                break;
            }
        }
        if (id == 0) {
            if ((shard.used + 1) * 10 > shard.capacity * 7) {
                if (!growIndex(shard)) {
                    gFull.fetch_add(1, std::memory_order_relaxed);
                    return 0;
                }
                slot = (hash32 >> 4) & (shard.capacity - 1);
                while (shard.slots[slot].id != 0) slot = (slot + 1) & (shard.capacity - 1);
            }
            id = store(frames, depth, flags);
            if (id == 0) {
                gFull.fetch_add(1, std::memory_order_relaxed);
                return 0;
            }
            shard.slots[slot] = IndexSlot{hash32, id};
            ++shard.used;
        }
    }
    cached = CachedStack{hash, id};
    return id;
}

uint32_t count() noexcept {
    if (!gReady.load(std::memory_order_acquire)) return 0;
    uint32_t next = gNextId.load(std::memory_order_acquire);
    return next > kMaxStacks ? kMaxStacks - 1 : next - 1;
}

bool get(uint32_t id, const uint64_t** frames, uint16_t* depth, uint16_t* flags) noexcept {
    if (id == 0 || id >= kMaxStacks || !gReady.load(std::memory_order_acquire)) return false;
    const snapshot::StackRecordHeader* record = recordOf(id);
    if (!record) return false;
    *frames = reinterpret_cast<const uint64_t*>(record + 1);
    *depth = record->depth;
    *flags = record->flags;
    return true;
}

uint64_t fullCount() noexcept { return gFull.load(std::memory_order_relaxed); }

void forgetThreadState() noexcept {
    for (IndexShard& shard : gShards) shard.lock.releaseIfOwnedHere();
    for (CachedStack& cached : tCache) cached = CachedStack{};
}

void lockAllForFork() noexcept {
    for (IndexShard& shard : gShards) shard.lock.lock();
}

void unlockAllAfterFork() noexcept {
    for (IndexShard& shard : gShards) shard.lock.unlock();
}

}  // namespace leakscope::preload::stack_table
