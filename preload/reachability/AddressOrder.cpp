// Radix sort of the live blocks by address; see AddressOrder.h.
#include "reachability/AddressOrder.h"

#include "reachability/ScanMemory.h"

namespace leakscope::preload::reachability {
namespace {

constexpr unsigned kMaxDigitBits = 11;  // 2048 buckets of 4 bytes: a pass's histogram stays in L1
constexpr unsigned kMaxPasses = 4;      // 8 bits of region rank + 30 of offset: 38 bits at most

}  // namespace

long AddressOrder::rankOf(uint64_t region) const noexcept {
    size_t low = 0, high = region_count_;
    while (low < high) {
        const size_t middle = (low + high) / 2;
        if (regions_[middle] < region) low = middle + 1;
        else high = middle;
    }
    return low < region_count_ && regions_[low] == region ? static_cast<long>(low) : -1;
}

bool AddressOrder::addRegion(uint64_t region) noexcept {
    if (rankOf(region) >= 0) return true;
    if (region_count_ == kMaxRegions) return false;
    size_t at = region_count_++;
    for (; at > 0 && regions_[at - 1] > region; --at) regions_[at] = regions_[at - 1];
    regions_[at] = region;
    return true;
}

const uint64_t* AddressOrder::sort(const snapshot::AllocationRecord* records, size_t count, uint64_t* keys,
                                   uint64_t* scratch) noexcept {
    region_count_ = 0;
    shift_ = 0;
    if (count > kMaxCount) return nullptr;

    // Regions, and the alignment all addresses share.
    uint64_t all_bits = 0, last_region = ~uint64_t{0};
    for (size_t i = 0; i < count; ++i) {
        const uint64_t address = records[i].address;
        all_bits |= address;
        if ((address >> kRegionShift) != last_region) {
            last_region = address >> kRegionShift;
            if (!addRegion(last_region)) return nullptr;
        }
    }
    while (shift_ < 4 && (all_bits & (uint64_t{1} << shift_)) == 0) ++shift_;

    // Keys, and which of their bits differ at all.
    const uint64_t offset_mask = (uint64_t{1} << kRegionShift) - 1;
    uint64_t rank = 0, differing = 0;
    last_region = ~uint64_t{0};
    for (size_t i = 0; i < count; ++i) {
        const uint64_t address = records[i].address;
        if ((address >> kRegionShift) != last_region) {
            last_region = address >> kRegionShift;
            rank = static_cast<uint64_t>(rankOf(last_region));
        }
        const uint64_t compact = rank << (kRegionShift - shift_) | (address & offset_mask) >> shift_;
        keys[i] = compact << kIndexBits | i;
        differing |= keys[i] ^ keys[0];
    }
    differing >>= kIndexBits;
    if (differing == 0) return keys;  // at most one block (or duplicates, which a live table never holds)
    const unsigned low = static_cast<unsigned>(__builtin_ctzll(differing)) + kIndexBits;
    const unsigned high = 64 - static_cast<unsigned>(__builtin_clzll(differing)) + kIndexBits;
    const unsigned passes = (high - low + kMaxDigitBits - 1) / kMaxDigitBits;
    const unsigned digit_bits = (high - low + passes - 1) / passes;
    const uint64_t digit_mask = (uint64_t{1} << digit_bits) - 1;

    // Every pass's histogram in one read, then one stable scatter per pass. Mapped, not on the stack:
    // the clone runs on a copy of the snapshotting thread's stack, whose size the program chose.
    MappedArray<uint32_t> histograms;
    if (!histograms.allocate(kMaxPasses << kMaxDigitBits)) return nullptr;
    uint32_t* counts = histograms.data();
    for (size_t i = 0; i < count; ++i)
        for (unsigned pass = 0; pass < passes; ++pass)
            ++counts[(pass << kMaxDigitBits) + ((keys[i] >> (low + pass * digit_bits)) & digit_mask)];
    uint64_t* from = keys;
    uint64_t* to = scratch;
    for (unsigned pass = 0; pass < passes; ++pass) {
        uint32_t* bucket = counts + (pass << kMaxDigitBits);
        uint32_t next = 0;
        for (uint64_t digit = 0; digit <= digit_mask; ++digit) {
            const uint32_t here = bucket[digit];
            bucket[digit] = next;
            next += here;
        }
        const unsigned digit_shift = low + pass * digit_bits;
        for (size_t i = 0; i < count; ++i) to[bucket[(from[i] >> digit_shift) & digit_mask]++] = from[i];
        uint64_t* swap = from;
        from = to;
        to = swap;
    }
    return from;
}

}  // namespace leakscope::preload::reachability
