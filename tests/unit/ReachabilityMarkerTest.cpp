// The reachability scan's index and classification (preload/reachability: BlockIndex, Marker) on
// synthetic memory: blocks carved out of one array, pointers written into them and into a root array,
// and the classes memcheck's rules give, case by case (cycles, upgrades, trees, interior pointers).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "reachability/BlockIndex.h"
#include "reachability/Marker.h"

using namespace leakscope::preload::reachability;
using leakscope::snapshot::Reachability;

namespace {

// Blocks of 64 bytes at 128-byte strides in one array, so that gaps between blocks exist too.
class Heap {
public:
    explicit Heap(size_t count) : memory_(count * 16, 0), starts_(count), ends_(count), sizes_(count, 64) {
        for (size_t i = 0; i < count; ++i) {
            starts_[i] = reinterpret_cast<uint64_t>(&memory_[i * 16]);
            ends_[i] = starts_[i] + 64;
        }
        REQUIRE(index_.build(starts_.data(), ends_.data(), count));
    }
    uint64_t start(size_t block) const { return starts_[block]; }
    // Stores `value` in word `word` of block `block`.
    void store(size_t block, size_t word, uint64_t value) { memory_[block * 16 + word] = value; }

    // Classifies with `roots` as the only root range.
    std::vector<Reachability> classify(const std::vector<uint64_t>& roots) {
        std::vector<uint8_t> states(starts_.size());
        std::vector<uint32_t> stack(2 * starts_.size() + 1);
        Deadline never(UINT64_MAX);
        Marker marker(index_, starts_.data(), sizes_.data(), starts_.size(), states.data(), stack.data(), never);
        const auto begin = reinterpret_cast<uint64_t>(roots.data());
        REQUIRE(marker.scanRoot(begin, begin + roots.size() * sizeof(uint64_t)));
        REQUIRE(marker.finish());
        std::vector<Reachability> classes;
        for (size_t i = 0; i < starts_.size(); ++i) classes.push_back(marker.classOf(i));
        return classes;
    }
    const BlockIndex& index() const { return index_; }

private:
    std::vector<uint64_t> memory_;
    std::vector<uint64_t> starts_, ends_, sizes_;
    BlockIndex index_;
};

}  // namespace

TEST_CASE("BlockIndex finds the block holding a word, and nothing in gaps or outside") {
    Heap heap(1000);
    for (size_t i = 0; i < 1000; i += 37) {
        CHECK(heap.index().find(heap.start(i)) == long(i));
        CHECK(heap.index().find(heap.start(i) + 63) == long(i));
        CHECK(heap.index().find(heap.start(i) + 64) == -1);  // the gap after it
        CHECK(heap.index().find(heap.start(i) - 1) == -1);  // the gap before it
    }
    CHECK(heap.index().find(0) == -1);
    CHECK(heap.index().find(UINT64_MAX) == -1);
}

TEST_CASE("BlockIndex handles blocks spanning many pages and regions far apart") {
    // Three blocks: one of 3 pages, one right after it, one 2 GiB higher (another region).
    const uint64_t base = uint64_t{1} << 40;
    std::vector<uint64_t> starts = {base + 100, base + 100 + 3 * 4096, base + (uint64_t{2} << 30)};
    std::vector<uint64_t> ends = {starts[0] + 3 * 4096, starts[1] + 16, starts[2] + 32};
    BlockIndex index;
    REQUIRE(index.build(starts.data(), ends.data(), 3));
    CHECK(index.find(base + 100 + 4096 * 2 + 5) == 0);
    CHECK(index.find(starts[1] + 15) == 1);
    CHECK(index.find(starts[1] + 16) == -1);
    CHECK(index.find(starts[2]) == 2);
    CHECK(index.find(base + (uint64_t{1} << 30)) == -1);
}

TEST_CASE("memcheck's classes: reachable chains, lost trees, interior pointers") {
    Heap heap(10);
    // 0 -> 1 -> 2: a list from the root.
    heap.store(0, 0, heap.start(1));
    heap.store(1, 3, heap.start(2));
    // 3 reached only through an interior pointer from the root; 3 -> 4 by a start pointer.
    heap.store(3, 0, heap.start(4));
    // 5 -> 6 -> 7, nothing reaches 5: a lost tree. 8 <-> 9: a lost cycle.
    heap.store(5, 1, heap.start(6));
    heap.store(6, 1, heap.start(7) + 8);  // interior pointers inside a lost tree still make it indirect
    heap.store(8, 0, heap.start(9));
    heap.store(9, 0, heap.start(8));
    const auto classes = heap.classify({heap.start(0), heap.start(3) + 24, 12345});
    using R = Reachability;
    CHECK(classes == std::vector<R>{R::StillReachable, R::StillReachable, R::StillReachable, R::PossiblyLost,
                                    R::PossiblyLost, R::DefinitelyLost, R::IndirectlyLost, R::IndirectlyLost,
                                    R::DefinitelyLost, R::IndirectlyLost});
}

TEST_CASE("a block first reached possibly and then definitely is upgraded, with what it points to") {
    Heap heap(4);
    heap.store(0, 0, heap.start(1) + 8);  // 0 points into 1 ...
    heap.store(2, 0, heap.start(1));      // ... and 2 to its start
    heap.store(1, 0, heap.start(3));      // 1 -> 3
    const auto classes = heap.classify({heap.start(0), heap.start(2)});
    CHECK(classes == std::vector<Reachability>(4, Reachability::StillReachable));
}

TEST_CASE("a lost leader that a later leader reaches joins its tree") {
    Heap heap(3);
    heap.store(2, 0, heap.start(0));  // 2 -> 0; 0 is scanned first (address order) and leads alone
    heap.store(0, 0, heap.start(1));  // 0 -> 1
    const auto classes = heap.classify({});
    CHECK(classes == std::vector<Reachability>{Reachability::IndirectlyLost, Reachability::IndirectlyLost,
                                               Reachability::DefinitelyLost});
}

TEST_CASE("a spent deadline stops the scan") {
    // The clock is read every 4096 scanned chunks (a block is one): a chain of 10,000 blocks passes it.
    constexpr size_t kBlocks = 10000;
    Heap heap(kBlocks);
    for (size_t i = 0; i + 1 < kBlocks; ++i) heap.store(i, 0, heap.start(i + 1));
    std::vector<uint64_t> root = {heap.start(0)};
    std::vector<uint8_t> states(kBlocks);
    std::vector<uint32_t> stack(2 * kBlocks + 1);
    std::vector<uint64_t> starts(kBlocks), sizes(kBlocks, 64);
    for (size_t i = 0; i < kBlocks; ++i) starts[i] = heap.start(i);
    Deadline past(1);
    Marker marker(heap.index(), starts.data(), sizes.data(), kBlocks, states.data(), stack.data(), past);
    const auto begin = reinterpret_cast<uint64_t>(root.data());
    const bool finished = marker.scanRoot(begin, begin + 8) && marker.finish();
    CHECK_FALSE(finished);
}
