// Which live block an arbitrary 64-bit word points into, in a few instructions: the scan asks this for
// every word of every root and every reachable block (12.5 million words for a 100 MB heap).
//
// Blocks are given sorted by start, non-overlapping (the allocator never hands out overlapping live
// blocks). A page table per 1 GiB region of the address space that holds blocks maps each 4 KiB page
// to the first block that intersects it; a lookup is a range check, a region match, one page-table
// load and a short binary search among the blocks of that page. Memory: 1 MiB of address space per
// region (MAP_NORESERVE: only pages that hold blocks are touched), at most kMaxRegions of them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "reachability/ScanMemory.h"

namespace leakscope::preload::reachability {

class BlockIndex {
public:
    static constexpr size_t kMaxRegions = 256;  // 256 GiB of address space holding blocks

    // starts[i] < starts[i+1], ends[i] > starts[i] (a zero-size block counts as one byte), both
    // borrowed for the life of the index. False when the blocks are spread over more than kMaxRegions
    // regions or memory cannot be mapped (the scan is then skipped, not guessed).
    bool build(const uint64_t* starts, const uint64_t* ends, size_t count) noexcept;

    // The index of the block whose [start, end) holds `word`, or -1.
    long find(uint64_t word) const noexcept {
        if (word < low_ || word >= high_) return -1;
        const uint32_t* pages = regionPages(word >> kRegionShift);
        if (!pages) return -1;
        const uint32_t first = pages[(word >> kPageShift) & (kPagesPerRegion - 1)];
        if (first == 0) return -1;
        return containing(first - 1, word);
    }

private:
    static constexpr unsigned kPageShift = 12;
    static constexpr unsigned kRegionShift = 30;
    static constexpr size_t kPagesPerRegion = size_t{1} << (kRegionShift - kPageShift);

    const uint32_t* regionPages(uint64_t region) const noexcept {
        for (size_t i = 0; i < region_count_; ++i)
            if (region_ids_[i] == region) return regions_[i].data();
        return nullptr;
    }
    uint32_t* regionPagesOrAdd(uint64_t region) noexcept;
    long containing(size_t first, uint64_t word) const noexcept;

    const uint64_t* starts_ = nullptr;
    const uint64_t* ends_ = nullptr;
    size_t count_ = 0;
    uint64_t low_ = 0;
    uint64_t high_ = 0;
    uint64_t region_ids_[kMaxRegions] = {};
    MappedArray<uint32_t> regions_[kMaxRegions];
    size_t region_count_ = 0;
};

}  // namespace leakscope::preload::reachability
