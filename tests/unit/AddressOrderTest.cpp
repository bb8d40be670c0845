// The reachability scan's address sort (preload/reachability/AddressOrder): the order std::sort gives,
// for blocks in one region, in regions far apart, at any alignment, and its limits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "reachability/AddressOrder.h"

using leakscope::preload::reachability::AddressOrder;
using leakscope::snapshot::AllocationRecord;

namespace {

// Blocks at `addresses`, in the given (unsorted) order; sizes tell them apart.
std::vector<AllocationRecord> recordsAt(const std::vector<uint64_t>& addresses) {
    std::vector<AllocationRecord> records;
    for (size_t i = 0; i < addresses.size(); ++i) records.push_back({addresses[i], 1000 + i, i + 1, 0, 0});
    return records;
}

// Sorts with AddressOrder and checks every key against std::sort of the addresses.
void checkSorted(const std::vector<uint64_t>& addresses) {
    const auto records = recordsAt(addresses);
    std::vector<uint64_t> keys(records.size()), scratch(records.size());
    AddressOrder order;
    const uint64_t* sorted = order.sort(records.data(), records.size(), keys.data(), scratch.data());
    REQUIRE(sorted != nullptr);
    std::vector<uint64_t> expected = addresses;
    std::sort(expected.begin(), expected.end());
    for (size_t k = 0; k < records.size(); ++k) {
        const size_t position = AddressOrder::positionOf(sorted[k]);
        REQUIRE(position < records.size());
        CHECK(records[position].address == expected[k]);
        CHECK(order.addressOf(sorted[k]) == expected[k]);
    }
}

std::vector<uint64_t> shuffledHeap(uint64_t base, size_t count, uint64_t stride, uint32_t seed) {
    std::vector<uint64_t> addresses;
    for (size_t i = 0; i < count; ++i) addresses.push_back(base + i * stride);
    std::mt19937_64 random(seed);
    std::shuffle(addresses.begin(), addresses.end(), random);
    return addresses;
}

}  // namespace

TEST_CASE("AddressOrder sorts a shuffled heap in one region") {
    checkSorted(shuffledHeap(0x5555'5555'0000, 100000, 48, 1));
}

TEST_CASE("AddressOrder sorts blocks spread over regions far apart (brk heap, mmap'd blocks, arenas)") {
    auto addresses = shuffledHeap(0x5555'5555'0000, 20000, 32, 2);
    for (uint64_t i = 0; i < 300; ++i) addresses.push_back(0x7f00'0000'0000 + i * (uint64_t{3} << 30) + 16);
    for (uint64_t i = 0; i < 5000; ++i) addresses.push_back(0x7e12'3400'0000 + i * 4096);
    std::shuffle(addresses.begin(), addresses.end(), std::mt19937_64(3));
    // 300 regions of the mmap'd blocks alone: over the limit.
    const auto records = recordsAt(addresses);
    std::vector<uint64_t> keys(records.size()), scratch(records.size());
    AddressOrder order;
    CHECK(order.sort(records.data(), records.size(), keys.data(), scratch.data()) == nullptr);
    addresses.erase(std::remove_if(addresses.begin(), addresses.end(),
                                   [](uint64_t a) { return a >= 0x7f00'0000'0000 + (uint64_t{200} << 30); }),
                    addresses.end());
    checkSorted(addresses);
}

TEST_CASE("AddressOrder keeps every address bit when blocks are only byte-aligned") {
    checkSorted(shuffledHeap(0x1000'0000'0001, 5000, 7, 4));
    checkSorted(shuffledHeap(0x1000'0000'0008, 5000, 8, 5));
}

TEST_CASE("AddressOrder handles no block, one block and two") {
    AddressOrder order;
    uint64_t keys[2], scratch[2];
    CHECK(order.sort(nullptr, 0, keys, scratch) != nullptr);
    const auto one = recordsAt({0x4000'0010});
    const uint64_t* sorted = order.sort(one.data(), 1, keys, scratch);
    REQUIRE(sorted != nullptr);
    CHECK(AddressOrder::positionOf(sorted[0]) == 0);
    CHECK(order.addressOf(sorted[0]) == 0x4000'0010);
    checkSorted({0x7fff'0000'0000, 0x1000});
}
