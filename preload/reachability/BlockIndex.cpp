// The page-table index of live blocks; see BlockIndex.h.
#include "reachability/BlockIndex.h"

namespace leakscope::preload::reachability {

uint32_t* BlockIndex::regionPagesOrAdd(uint64_t region) noexcept {
    for (size_t i = 0; i < region_count_; ++i)
        if (region_ids_[i] == region) return regions_[i].data();
    if (region_count_ == kMaxRegions || !regions_[region_count_].allocate(kPagesPerRegion)) return nullptr;
    region_ids_[region_count_] = region;
    return regions_[region_count_++].data();
}

bool BlockIndex::build(const uint64_t* starts, const uint64_t* ends, size_t count) noexcept {
    starts_ = starts;
    ends_ = ends;
    count_ = count;
    region_count_ = 0;
    if (count == 0) {
        low_ = high_ = 0;
        return true;
    }
    low_ = starts[0];
    high_ = 0;
    // In start order, each page keeps the first block that reaches it (entry = index + 1, 0 = none).
    // A block spanning many pages (a large mmap'd one) writes each of them: the total work is the
    // number of blocks plus the heap's size in pages.
    for (size_t i = 0; i < count; ++i) {
        if (ends[i] > high_) high_ = ends[i];
        uint32_t* pages = nullptr;
        uint64_t current_region = ~uint64_t{0};
        for (uint64_t page = starts[i] >> kPageShift; page <= (ends[i] - 1) >> kPageShift; ++page) {
            const uint64_t region = page >> (kRegionShift - kPageShift);
            if (region != current_region) {
                pages = regionPagesOrAdd(region);
                if (!pages) return false;
                current_region = region;
            }
            uint32_t& entry = pages[page & (kPagesPerRegion - 1)];
            if (entry == 0) entry = static_cast<uint32_t>(i + 1);
        }
    }
    return true;
}

long BlockIndex::containing(size_t first, uint64_t word) const noexcept {
    // The last block from `first` on whose start is <= word; blocks of one page are few (malloc's
    // smallest chunk is 32 bytes: at most 128 per page), so the search window is small, and it widens
    // to the rest of the array if an unusual allocator packs more.
    size_t low = first, high = first + 256 < count_ ? first + 256 : count_;
    if (high < count_ && starts_[high] <= word) high = count_;
    while (low < high) {  // first index in [low, high) with start > word
        const size_t middle = low + (high - low) / 2;
        if (starts_[middle] <= word) low = middle + 1;
        else high = middle;
    }
    if (low == first) return -1;  // the first block of this page starts after the word
    const size_t candidate = low - 1;
    return word < ends_[candidate] ? static_cast<long>(candidate) : -1;
}

}  // namespace leakscope::preload::reachability
