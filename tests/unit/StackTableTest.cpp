// stack_table (preload/tables/StackTable.h): deduplication by frames and flags, dense ids, records
// readable back, growth of the index, and the id space running out.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "tables/StackTable.h"

using namespace leakscope::preload;

namespace {

std::vector<uint64_t> framesFor(uint64_t seed, uint16_t depth) {
    std::vector<uint64_t> frames(depth);
    for (uint16_t i = 0; i < depth; ++i) frames[i] = 0x400000 + seed * 0x1000 + i * 8;
    return frames;
}

}  // namespace

TEST_CASE("stack_table: the same stack gets the same id, frames, depth or flags make another") {
    REQUIRE(stack_table::initialise());
    auto a = framesFor(1, 5);
    uint32_t id = stack_table::intern(a.data(), 5, 0);
    REQUIRE(id > 0);
    CHECK(stack_table::intern(a.data(), 5, 0) == id);
    CHECK(stack_table::intern(a.data(), 4, 0) != id);
    CHECK(stack_table::intern(a.data(), 5, 1) != id);
    auto b = a;
    b[4] += 1;
    CHECK(stack_table::intern(b.data(), 5, 0) != id);
    const uint64_t* frames = nullptr;
    uint16_t depth = 0, flags = 9;
    REQUIRE(stack_table::get(id, &frames, &depth, &flags));
    CHECK(depth == 5);
    CHECK(flags == 0);
    CHECK(std::vector<uint64_t>(frames, frames + depth) == a);
    CHECK_FALSE(stack_table::get(0, &frames, &depth, &flags));
}

TEST_CASE("stack_table: 100,000 distinct stacks get dense ids and read back after the index grew") {
    REQUIRE(stack_table::initialise());
    uint32_t first = stack_table::count() + 1;
    constexpr uint64_t kStacks = 100000;  // 16 index shards of 4096: every shard grows
    for (uint64_t i = 0; i < kStacks; ++i) {
        auto frames = framesFor(1000 + i, 3);
        REQUIRE(stack_table::intern(frames.data(), 3, 0) == first + i);
    }
    CHECK(stack_table::count() == first + kStacks - 1);
    for (uint64_t i = 0; i < kStacks; i += 997) {
        auto frames = framesFor(1000 + i, 3);
        CHECK(stack_table::intern(frames.data(), 3, 0) == first + i);  // found again, not re-added
    }
    CHECK(stack_table::count() == first + kStacks - 1);
    CHECK(stack_table::fullCount() == 0);
}

TEST_CASE("stack_table: when the id space is used up, intern returns 0 and counts it") {
    REQUIRE(stack_table::initialise());
    // 4M ids (2^22): one-frame stacks fill them (64 MiB of arena).
    uint64_t seed = 10000000;
    while (stack_table::fullCount() == 0) {
        uint64_t frame = 0x7f0000000000 + seed++ * 16;
        if (stack_table::intern(&frame, 1, 0) == 0) break;
        REQUIRE(seed < 10000000 + (1u << 22) + 10);
    }
    CHECK(stack_table::fullCount() >= 1);
    uint64_t frame = 0x7e0000000000;
    CHECK(stack_table::intern(&frame, 1, 0) == 0);
    CHECK(stack_table::fullCount() >= 2);
    // What was stored stays readable.
    const uint64_t* frames = nullptr;
    uint16_t depth = 0, flags = 0;
    CHECK(stack_table::get(1, &frames, &depth, &flags));
}
