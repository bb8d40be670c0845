// The live blocks in address order without a comparison sort: the scan's clone enumerates the live
// table (a hash table: no order at all) and needs its blocks sorted by address for the index, the
// marker and the snapshot's Allocations section.
//
// Each block becomes one 64-bit key: a compact address in the high bits and the block's position in
// the input in the low 24 bits. The compact address is the rank of the block's 1 GiB region among the
// regions that hold blocks (at most BlockIndex::kMaxRegions) and the offset in that region, shifted
// right by the alignment every address shares (16 for glibc). A least-significant-digit radix sort
// then orders the keys over only the bits that differ between blocks, 11 at a time: a 100 MB heap in
// one or two regions takes three passes over 8 bytes per block, where std::sort on 32-byte records
// took 20 compare-and-move rounds. Deterministic: equal input gives equal output.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload::reachability {

class AddressOrder {
public:
    static constexpr unsigned kIndexBits = 24;
    static constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
    static constexpr size_t kMaxCount = size_t{1} << kIndexBits;  // 16 Mi blocks (ReachabilityScan's kMaxBlocks)
    static constexpr size_t kMaxRegions = 256;                  // 1 GiB regions (BlockIndex::kMaxRegions)

    // records: count blocks with distinct addresses below 2^48, in any order. keys, scratch: room for
    // count each (caller-provided: the clone may not call malloc). Returns the array (keys or
    // scratch) holding the keys in address order; nullptr when count exceeds kMaxCount, the blocks
    // lie in more than kMaxRegions regions (the scan is then skipped, not guessed) or the 32 KiB of
    // histograms cannot be mapped.
    const uint64_t* sort(const snapshot::AllocationRecord* records, size_t count, uint64_t* keys,
                         uint64_t* scratch) noexcept;

    // For a key of the last sort: the position of its block in `records`, and the block's address
    // (rebuilt from the key, so that the sorted addresses cost no read of the records).
    static size_t positionOf(uint64_t key) noexcept { return key & kIndexMask; }
    uint64_t addressOf(uint64_t key) const noexcept {
        const uint64_t compact = key >> kIndexBits;
        return regions_[compact >> (kRegionShift - shift_)] << kRegionShift |
               (compact & ((uint64_t{1} << (kRegionShift - shift_)) - 1)) << shift_;
    }

private:
    static constexpr unsigned kRegionShift = 30;
    long rankOf(uint64_t region) const noexcept;
    bool addRegion(uint64_t region) noexcept;

    uint64_t regions_[kMaxRegions] = {};  // sorted region ids (address >> kRegionShift) holding blocks
    size_t region_count_ = 0;
    unsigned shift_ = 0;  // low address bits every block shares as zero (at most 4)
};

}  // namespace leakscope::preload::reachability
