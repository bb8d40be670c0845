// live_table (preload/tables/LiveTable.h): insert/remove with backward-shift deletion, growth and shrinking, the
// 24-byte slot packing at the limits of its fields, the counters, and the path where the table
// cannot grow. The table is process-global: each test uses its own address range.
#include <catch2/catch.hpp>
#include <cstdint>
#include <sys/resource.h>
#include <vector>

#include "tables/LiveTable.h"

using namespace leakscope::preload;

namespace {

LiveEntry entry(uint64_t address, uint64_t size = 16, uint32_t stack = 1, uint32_t thread = 7, uint64_t sequence = 1) {
    return LiveEntry{address, size, sequence, stack, thread};
}

// Distinct, 16-byte aligned heap-like addresses starting at `base`.
uint64_t addressAt(uint64_t base, uint64_t i) { return base + i * 16; }

}  // namespace

TEST_CASE("live_table: an inserted entry comes back whole and leaves once") {
    REQUIRE(live_table::initialise());
    LiveEntry in = entry(0x10000000, 100, 42, 9, 5);
    REQUIRE(live_table::insert(in));
    LiveEntry out{};
    REQUIRE(live_table::remove(in.address, &out));
    CHECK(out.address == in.address);
    CHECK(out.size == 100);
    CHECK(out.stack_id == 42);
    CHECK(out.thread_id == 9);
    CHECK(out.sequence == 5);
    CHECK_FALSE(live_table::remove(in.address, &out));
}

TEST_CASE("live_table: removing every other of 300,000 entries keeps every survivor findable") {
    // 300,000 entries over 128 shards of 1024 slots: every shard grows (doubling at 70% load), and
    // deletions in long probe runs shift the followers back (no tombstones): a broken shift loses them.
    REQUIRE(live_table::initialise());
    constexpr uint64_t kBase = 0x200000000, kCount = 300000;
    for (uint64_t i = 0; i < kCount; ++i) REQUIRE(live_table::insert(entry(addressAt(kBase, i), i + 1)));
    LiveEntry out{};
    for (uint64_t i = 0; i < kCount; i += 2) REQUIRE(live_table::remove(addressAt(kBase, i), &out));
    for (uint64_t i = 0; i < kCount; ++i) {
        bool present = live_table::remove(addressAt(kBase, i), &out);
        INFO("entry " << i);
        REQUIRE(present == (i % 2 == 1));
        if (present) REQUIRE(out.size == i + 1);
    }
}

TEST_CASE("live_table: slot packing keeps every field at its limit and clamps beyond it") {
    REQUIRE(live_table::initialise());
    constexpr uint64_t kMaxAddress = (uint64_t{1} << 48) - 16;
    constexpr uint64_t kMaxSize = (uint64_t{1} << 47) - 1;
    constexpr uint64_t kMaxSequence = (uint64_t{1} << 49) - 1;
    constexpr uint32_t kMaxId = (1u << 24) - 1;
    LiveEntry out{};
    SECTION("at the limits") {
        REQUIRE(live_table::insert(entry(kMaxAddress, kMaxSize, kMaxId, kMaxId, kMaxSequence)));
        REQUIRE(live_table::remove(kMaxAddress, &out));
        CHECK(out.address == kMaxAddress);
        CHECK(out.size == kMaxSize);
        CHECK(out.stack_id == kMaxId);
        CHECK(out.thread_id == kMaxId);
        CHECK(out.sequence == kMaxSequence);
    }
    SECTION("beyond them: clamped, never wrapped into another field") {
        REQUIRE(live_table::insert(entry(0x3000000, kMaxSize + 5, 0xffffffffu, 0xffffffffu, kMaxSequence + 9)));
        REQUIRE(live_table::remove(0x3000000, &out));
        CHECK(out.size == kMaxSize);
        CHECK(out.stack_id == kMaxId);
        CHECK(out.thread_id == kMaxId);
        CHECK(out.sequence == kMaxSequence);
    }
    SECTION("an address above 2^48 is refused, not truncated onto another block") {
        CHECK_FALSE(live_table::insert(entry(uint64_t{1} << 48)));
        CHECK_FALSE(live_table::remove(0, &out));
    }
}

TEST_CASE("live_table: counters follow allocations, frees and reallocations, the tracker's own are not counted") {
    REQUIRE(live_table::initialise());
    LiveCounters before = live_table::sumCounters();
    constexpr uint64_t kBase = 0x4000000;
    REQUIRE(live_table::insert(entry(kBase, 100)));
    REQUIRE(live_table::insert(entry(kBase + 16, 50)));
    REQUIRE(live_table::insert(entry(kBase + 32, 999, 1, 1, /*sequence: the tracker's own*/ 0)));
    LiveEntry old{};
    REQUIRE(live_table::detach(kBase, &old));
    live_table::insertMoved(old, entry(kBase + 48, 300));
    LiveEntry freed{};
    REQUIRE(live_table::remove(kBase + 16, &freed));
    REQUIRE(live_table::remove(kBase + 32, &freed));
    LiveCounters after = live_table::sumCounters();
    CHECK(after.allocations - before.allocations == 3);  // 100, 50, and the moved block's 300
    CHECK(after.frees - before.frees == 2);               // 50, and the moved block's old 100
    CHECK(after.bytes_freed - before.bytes_freed == 150);
    CHECK(after.reallocations - before.reallocations == 1);
    CHECK(after.bytes_allocated - before.bytes_allocated == 450);
    CHECK(after.live_allocations - before.live_allocations == 1);
    CHECK(after.live_bytes - before.live_bytes == 300);
    size_t visited = 0;
    live_table::forEachTracked([](const LiveEntry& e, void* context) {
        if (e.address == 0x4000000 + 48) ++*static_cast<size_t*>(context);
        if (e.sequence == 0) ++*static_cast<size_t*>(context);  // must not happen
    }, &visited);
    CHECK(visited == 1);
    REQUIRE(live_table::remove(kBase + 48, &freed));
}

TEST_CASE("live_table: the summed peak equals live bytes while the heap grows and never falls below the true peak") {
    REQUIRE(live_table::initialise());
    live_table::clear();  // counters and per-shard peaks from zero (as a new attach window starts)
    constexpr uint64_t kBase = 0x6000000;
    constexpr uint64_t kBlocks = 4000;
    uint64_t live = 0;
    for (uint64_t i = 0; i < kBlocks; ++i) {
        REQUIRE(live_table::insert(entry(addressAt(kBase, i), 10 + i % 90)));
        live += 10 + i % 90;
    }
    // Only growth so far: every shard is at its own peak now, so the sum is exact.
    LiveCounters grown = live_table::sumCounters();
    CHECK(grown.live_bytes == live);
    CHECK(grown.peak_live_bytes == live);
    const uint64_t true_peak = live;
    LiveEntry out{};
    for (uint64_t i = 0; i < kBlocks; i += 2) {
        REQUIRE(live_table::remove(addressAt(kBase, i), &out));
        live -= out.size;
    }
    // Regrowth below the earlier peak: the true peak stays `true_peak`; a shard whose new blocks
    // outgrow what it freed raises the sum by at most those blocks' bytes.
    uint64_t regrown = 0;
    for (uint64_t i = 0; i < kBlocks / 4; ++i) {
        REQUIRE(live_table::insert(entry(addressAt(kBase + 0x1000000, i), 7)));
        regrown += 7;
    }
    LiveCounters after = live_table::sumCounters();
    CHECK(after.live_bytes == live + regrown);
    CHECK(after.peak_live_bytes >= true_peak);
    CHECK(after.peak_live_bytes <= true_peak + regrown);
    live_table::clear();
    CHECK(live_table::sumCounters().peak_live_bytes == 0);
}

TEST_CASE("live_table: when a shard cannot grow, insert fails and the table stays consistent") {
    REQUIRE(live_table::initialise());
    // No address space for the next doubling: mmap fails as it would under a hard memory limit.
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_AS, &saved) == 0);
    constexpr uint64_t kBase = 0x500000000;
    uint64_t inserted = 0;
    {
        rlimit tight = saved;
        tight.rlim_cur = 0;  // every further mmap fails; the table's existing slots stay usable
        REQUIRE(setrlimit(RLIMIT_AS, &tight) == 0);
        while (inserted < 2000000 && live_table::insert(entry(addressAt(kBase, inserted)))) ++inserted;
        REQUIRE(setrlimit(RLIMIT_AS, &saved) == 0);
    }
    CHECK(inserted < 2000000);  // the full path was reached
    LiveEntry out{};
    for (uint64_t i = 0; i < inserted; ++i) REQUIRE(live_table::remove(addressAt(kBase, i), &out));
    CHECK_FALSE(live_table::remove(addressAt(kBase, inserted), &out));
    REQUIRE(live_table::insert(entry(addressAt(kBase, 0))));  // usable again once memory is back
    REQUIRE(live_table::remove(addressAt(kBase, 0), &out));
}

namespace {

size_t mappedBytes() {
    size_t bytes = 0;
    live_table::lockAllForFork();
    live_table::forEachMappingLocked(
        [](uint64_t begin, uint64_t end, void* context) { *static_cast<size_t*>(context) += end - begin; }, &bytes);
    live_table::unlockAllAfterFork();
    return bytes;
}

}  // namespace

TEST_CASE("live_table: densely packed and page-aligned blocks stay findable through growth and deletion") {
    // The densest heap (a 16-byte block at every offset of 512 consecutive pages) and page-aligned
    // blocks (low 12 bits all zero) must both spread over the shards and their slots; each shard's
    // probe runs then also cross the end of its array, and deleting every third entry shifts followers
    // back across that wrap-around.
    REQUIRE(live_table::initialise());
    const uint64_t base = GENERATE(uint64_t{0x7000000000}, uint64_t{0x7100000000});
    const uint64_t stride = base == 0x7000000000 ? 16 : 4096;
    const uint64_t count = stride == 16 ? 512 * 256 : 150000;
    for (uint64_t i = 0; i < count; ++i) REQUIRE(live_table::insert(entry(base + i * stride, i + 1)));
    LiveEntry out{};
    for (uint64_t i = 0; i < count; i += 3) REQUIRE(live_table::remove(base + i * stride, &out));
    for (uint64_t i = 0; i < count; ++i) {
        bool present = live_table::remove(base + i * stride, &out);
        INFO("entry " << i);
        REQUIRE(present == (i % 3 != 0));
        if (present) REQUIRE(out.size == i + 1);
    }
}

TEST_CASE("live_table: a shard that empties gives its slots back and keeps its survivors") {
    // 400,000 entries grow every shard far past its first 1,024 slots; freeing all but 1 in 1,000
    // must shrink the arrays again (the exit walk and snapshots then read little), not just empty them.
    REQUIRE(live_table::initialise());
    constexpr uint64_t kBase = 0x7200000000, kCount = 400000;
    const size_t before = mappedBytes();
    for (uint64_t i = 0; i < kCount; ++i) REQUIRE(live_table::insert(entry(addressAt(kBase, i), i + 1)));
    const size_t grown = mappedBytes();
    CHECK(grown > before + kCount * 24);  // 24-byte slots, at most 80 % full
    LiveEntry out{};
    for (uint64_t i = 0; i < kCount; ++i)
        if (i % 1000 != 0) REQUIRE(live_table::remove(addressAt(kBase, i), &out));
    const size_t shrunk = mappedBytes();
    INFO("mapped before " << before << ", grown " << grown << ", after the frees " << shrunk);
    CHECK(shrunk < before + (grown - before) / 10);
    size_t survivors = 0;
    live_table::forEachTracked(
        [](const LiveEntry& e, void* context) {
            if (e.address >= 0x7200000000 && e.address < 0x7200000000 + kCount * 16) ++*static_cast<size_t*>(context);
        },
        &survivors);
    CHECK(survivors == kCount / 1000);
    for (uint64_t i = 0; i < kCount; i += 1000) {
        REQUIRE(live_table::remove(addressAt(kBase, i), &out));
        REQUIRE(out.size == i + 1);
    }
    CHECK(mappedBytes() < before + (grown - before) / 10);
}

TEST_CASE("live_table: a call made while this thread holds the shard's lock leaves the table alone instead of waiting") {
    // A signal handler that allocates while its thread is inside a table operation: here the visitor of
    // forEachTracked, which runs with the visited entry's shard lock held by this thread.
    REQUIRE(live_table::initialise());
    constexpr uint64_t kAddress = 0x7300000000;
    REQUIRE(live_table::insert(entry(kAddress, 64)));
    struct Nested {
        bool visited = false, inserted = true, removed = true;
    } nested;
    live_table::forEachTracked(
        [](const LiveEntry& e, void* context) {
            if (e.address != kAddress) return;
            auto* state = static_cast<Nested*>(context);
            state->visited = true;
            state->inserted = live_table::insert(entry(kAddress, 8));  // same address: the held shard
            LiveEntry out{};
            state->removed = live_table::remove(kAddress, &out);
        },
        &nested);
    CHECK(nested.visited);
    CHECK_FALSE(nested.inserted);
    CHECK_FALSE(nested.removed);
    LiveEntry out{};
    REQUIRE(live_table::remove(kAddress, &out));
    CHECK(out.size == 64);  // neither overwritten nor removed by the nested calls
}
