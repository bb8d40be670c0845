#include "core/GrowthAnalysis.h"

#include <algorithm>
#include <cmath>

namespace leakscope::analyzer {
namespace {

// Whether values[start..end) (end = values.size()) is a growing window:
//  - it rose on at least kGrowthFraction of its intervals,
//  - it never fell back to (or below) its starting level,
//  - it ends above everything seen before it in the series: a sawtooth refilling to its old peak or
//    noise wandering inside its usual band is not a leak, a leak sets new highs.
bool isGrowingWindow(const std::vector<uint64_t>& values, size_t first, size_t start) {
    const size_t last = values.size() - 1;
    const size_t intervals = last - start;
    size_t rises = 0;
    for (size_t i = start + 1; i <= last; ++i) {
        if (values[i] > values[i - 1]) ++rises;
        if (values[i] <= values[start]) return false;
    }
    if (double(rises) < kGrowthFraction * double(intervals)) return false;
    uint64_t highest_before = *std::max_element(values.begin() + long(first), values.begin() + long(start) + 1);
    return values[last] > highest_before;
}

}  // namespace

int growingWindowStart(const std::vector<uint64_t>& values, size_t first) {
    if (values.size() < first + 2) return -1;
    const size_t intervals = values.size() - 1 - first;
    // A late leak need not span the whole series, but it must span a quarter of it (and at least
    // kMinimumWindow intervals) so that a short burst in a long noisy series is not called a leak.
    size_t minimum = std::max<size_t>(kMinimumWindow, size_t(std::ceil(double(intervals) / 4)));
    minimum = std::min(minimum, intervals);
    for (size_t start = first; start + minimum <= values.size() - 1; ++start)
        if (isGrowingWindow(values, first, start)) return int(start);
    return -1;
}

double medianDelta(const std::vector<uint64_t>& values, size_t first) {
    std::vector<double> deltas;
    for (size_t i = first + 1; i < values.size(); ++i) deltas.push_back(double(values[i]) - double(values[i - 1]));
    if (deltas.empty()) return 0;
    std::sort(deltas.begin(), deltas.end());
    size_t middle = deltas.size() / 2;
    return deltas.size() % 2 ? deltas[middle] : (deltas[middle - 1] + deltas[middle]) / 2;
}

GrowthVerdict analyzeGrowth(const std::vector<uint64_t>& count, const std::vector<uint64_t>& bytes, int warmup) {
    GrowthVerdict verdict;
    const size_t snapshots = std::min(count.size(), bytes.size());
    if (snapshots < 3) return verdict;
    // Keep at least two intervals after warm-up: a three-snapshot series with warm-up 1 is still judged.
    size_t skipped = std::min<size_t>(size_t(std::max(warmup, 0)), snapshots - 3);
    verdict.warmup = int(skipped);
    verdict.cycles_observed = int(snapshots - 1 - skipped);
    int count_start = growingWindowStart(count, skipped);
    int bytes_start = growingWindowStart(bytes, skipped);
    if (count_start < 0 && bytes_start < 0) return verdict;
    verdict.growing = true;
    size_t start = size_t(count_start < 0 ? bytes_start : bytes_start < 0 ? count_start : std::min(count_start, bytes_start));
    verdict.onset_cycle = int(start);
    verdict.bytes_per_cycle = medianDelta(bytes, start);
    verdict.count_per_cycle = medianDelta(count, start);
    int rises = 0;
    for (size_t i = skipped + 1; i < snapshots; ++i)
        if (count[i] > count[i - 1] || bytes[i] > bytes[i - 1]) ++rises;
    verdict.cycles_grown = rises;
    return verdict;
}

}  // namespace leakscope::analyzer
