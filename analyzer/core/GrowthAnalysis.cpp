#include "core/GrowthAnalysis.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace leakscope::analyzer {
namespace {

using Series = std::vector<uint64_t>;

// Theil-Sen on long series: every pair of a 600-point subsample (180,000 slopes) is plenty for a median.
constexpr size_t kTheilSenPoints = 600;
// Capacity doubling: each step multiplies the block by about 2 (1.5 for some containers), not +10 %.
constexpr double kDoublingMinimumRatio = 1.3;
constexpr double kDoublingMaximumRatio = 3.0;

double median(std::vector<double>& values) {
    if (values.empty()) return 0;
    size_t middle = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + long(middle), values.end());
    double upper = values[middle];
    if (values.size() % 2) return upper;
    double lower = *std::max_element(values.begin(), values.begin() + long(middle));
    return (lower + upper) / 2;
}

double theilSenPoints(const std::vector<std::pair<double, double>>& points) {
    std::vector<double> slopes;
    for (size_t i = 0; i < points.size(); ++i)
        for (size_t j = i + 1; j < points.size(); ++j)
            if (points[j].first != points[i].first)
                slopes.push_back((points[j].second - points[i].second) / (points[j].first - points[i].first));
    return median(slopes);
}

// New highs: indices t >= 1 whose value is above every earlier value.
std::vector<size_t> newHighs(const Series& v) {
    std::vector<size_t> highs;
    for (size_t t = 1, highest = 0; t < v.size(); ++t)
        if (v[t] > v[highest]) highs.push_back(t), highest = t;
    return highs;
}

struct MetricGrowth {
    size_t onset = 0;  // post-warm-up index of the snapshot before the first new high
    double p = 1;
    int new_highs = 0;
};

// Alpha spending over onsets: the earliest onset (the whole growing part) gets half of kSignificance,
// the later ones (a leak starting late) share the other half; each onset's p is the smaller of two tests,
// so it is doubled (Bonferroni).
double allowedP(size_t candidate, size_t candidates) {
    if (candidate == 0) return kSignificance / 2;
    return kSignificance / 2 / double(candidates - 1);
}

// How long the series may go without a new high before the growth counts as over: the longest pause
// the growth itself took, and the time a trend of this slope needs to climb through the noise band seen
// while it grew (a leak inside noise of width B at slope b sets a new high at least every ~B/b cycles).
size_t allowedPause(const Series& v, size_t onset, const std::vector<size_t>& highs, size_t first_high) {
    size_t longest = highs[first_high] - onset;
    for (size_t i = first_high + 1; i < highs.size(); ++i) longest = std::max(longest, highs[i] - highs[i - 1]);
    const size_t last = highs.back();
    double slope = theilSenSlope(v, onset, last);
    size_t through_noise = 0;
    if (slope > 0) {
        double lowest = 0, highest = 0;
        for (size_t t = onset; t <= last; ++t) {
            double residual = double(v[t]) - slope * double(t - onset);
            if (t == onset || residual < lowest) lowest = residual;
            if (t == onset || residual > highest) highest = residual;
        }
        through_noise = size_t(std::ceil((highest - lowest) / slope));
    }
    return std::max({size_t(kMinimumPause), longest, through_noise});
}

std::optional<MetricGrowth> judgeMetric(const Series& v) {
    const auto highs = newHighs(v);
    const size_t end = v.size() - 1;
    if (v.size() < size_t(kSignificantSnapshots)) {
        if (highs.size() != end) return std::nullopt;  // short: only a new high on every interval counts
        return MetricGrowth{0, recordsP(2, end + 1, int(end)), int(end)};
    }
    for (size_t first = 0; first < highs.size(); ++first) {
        int count = int(highs.size() - first);
        if (count < kMinimumNewHighs) break;
        const size_t onset = highs[first] - 1;
        if (end - highs.back() > allowedPause(v, onset, highs, first)) continue;  // the growth stopped
        if (theilSenSlope(v, onset, end) <= 0) continue;
        double p = 2 * std::min(mannKendallP(v, onset, end), recordsP(onset + 2, end + 1, count));
        if (p <= allowedP(first, highs.size())) return MetricGrowth{onset, p, count};
    }
    return std::nullopt;
}

struct DoublingGrowth {
    MetricGrowth growth;
    double bytes_per_cycle = 0;
};

// A container growing by capacity doubling (std::vector::push_back once per cycle): the same blocks
// (constant count) are reallocated to about twice their size, at spacings that grow as the capacity does,
// and never shrink. Between steps the bytes are flat for longer and longer, so the general rule's pause
// limit does not fit: the next step is due after about ratio x the last spacing.
std::optional<DoublingGrowth> judgeDoubling(const Series& count, const Series& bytes) {
    if (bytes.size() < size_t(kSignificantSnapshots)) return std::nullopt;
    const auto highs = newHighs(bytes);
    if (int(highs.size()) < kMinimumNewHighs) return std::nullopt;
    const size_t onset = highs.front() - 1, end = bytes.size() - 1;
    if (count[onset] == 0) return std::nullopt;
    for (size_t t = onset + 1; t <= end; ++t)
        if (count[t] != count[onset] || bytes[t] < bytes[t - 1]) return std::nullopt;
    size_t previous_at = onset, previous_gap = 0;
    double ratio = 0;
    std::vector<std::pair<double, double>> logical;  // (cycle, capacity / 2): the size when it doubled
    for (size_t high : highs) {
        ratio = double(bytes[high]) / double(std::max<uint64_t>(bytes[high - 1], 1));
        size_t gap = high - previous_at;
        if (ratio < kDoublingMinimumRatio || ratio > kDoublingMaximumRatio || gap < previous_gap) return std::nullopt;
        logical.emplace_back(double(high), double(bytes[high]) / 2);
        previous_at = high, previous_gap = gap;
    }
    if (previous_gap < 2 * (highs[0] - onset)) return std::nullopt;  // the spacings did not grow
    if (double(end - highs.back()) > std::ceil(ratio * double(previous_gap))) return std::nullopt;
    double p = mannKendallP(bytes, onset, end);
    if (p > kSignificance) return std::nullopt;
    return DoublingGrowth{{onset, p, int(highs.size())}, theilSenPoints(logical)};
}

// Where the count's own rise ended: the index of its last new high when it has gone without one for
// longer than the pause rule of judgeMetric allows (allowedPause), else `onset` (the count has not stopped
// rising, or never rose).
size_t countLevelledAt(const Series& count, size_t onset) {
    const auto highs = newHighs(count);
    if (highs.empty()) return onset;
    const size_t end = count.size() - 1;
    if (end - highs.back() <= allowedPause(count, highs.front() - 1, highs, 0)) return onset;
    return std::max(onset, highs.back());
}

// Bytes that grew from `onset` on while the count did not: more than one block, and their number not
// rising (Theil-Sen slope <= 0), so the rise came from blocks replaced by larger ones. A leak is blocks
// that are never freed, and those raise the count of the call path that made them (valgrind memcheck and
// LeakSanitizer count a leak in blocks, "N bytes in M blocks"); a set of M blocks whose members are freed
// and replaced, with sizes that vary, is a moving sum of its last M sizes: sampled on the rising part of
// its size pattern (a timer that starves the program, snapshots that alias with the pattern's period) it
// rises for as long as that part lasts, far too regularly for the trend tests, whose null hypothesis
// assumes independent values (Hamed & Rao 1998 on Mann-Kendall under autocorrelation). A single block is
// the exception: its bytes are one object's size, and an object that keeps growing is a leak (a buffer
// realloc'ed larger every cycle).
//
// The count is taken from where its own rise ended, when it did: a pool or ring that fills up over the
// first cycles and then only replaces its blocks has a rising count from the bytes' onset, but the
// bytes' later new highs came after the count had levelled off (a 64-slot ring filled 6 slots a cycle:
// count 6..64 in 11 cycles, then 64 for 9, while the bytes went on setting new highs from the varying
// sizes, and the pair was judged growth).
bool blocksReplaced(const Series& count, size_t onset) {
    const size_t end = count.size() - 1;
    const size_t from = countLevelledAt(count, onset);
    const uint64_t most = *std::max_element(count.begin() + long(from), count.end());
    return most > 1 && theilSenSlope(count, from, end) <= 0;
}

// See GrowthVerdict::inconclusive.
bool stillRising(const Series& v) {
    const auto highs = newHighs(v);
    const size_t end = v.size() - 1;
    if (int(highs.size()) < kMinimumNewHighs || 2 * highs.size() < end) return false;
    return end - highs.back() <= size_t(kMinimumPause) && theilSenSlope(v, 0, end) > 0;
}

}  // namespace

size_t growthWarmup(size_t snapshots, int warmup) {
    // The warm-up gives way first to kSignificantSnapshots, then to kMinimumSnapshots: a short series with
    // warm-up is still judged (a one-time fill in the first snapshot sets no new high later anyway).
    size_t keep = std::min(snapshots, size_t(kSignificantSnapshots));
    if (snapshots < size_t(kMinimumSnapshots)) return 0;
    return std::min<size_t>(size_t(std::max(warmup, 0)), snapshots - keep);
}

double mannKendallP(const Series& values, size_t first, size_t last) {
    if (last <= first) return 1;
    const size_t n = last - first + 1;
    long long s = 0;
    for (size_t i = first; i < last; ++i)
        for (size_t j = i + 1; j <= last; ++j) s += (values[j] > values[i]) - (values[j] < values[i]);
    // Variance under "no trend", corrected for ties (Kendall 1975): each group of t equal values removes
    // t(t-1)(2t+5) from n(n-1)(2n+5).
    std::vector<uint64_t> sorted(values.begin() + long(first), values.begin() + long(last) + 1);
    std::sort(sorted.begin(), sorted.end());
    double ties = 0;
    for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        double t = double(j - i);
        ties += t * (t - 1) * (2 * t + 5);
        i = j;
    }
    double variance = (double(n) * double(n - 1) * double(2 * n + 5) - ties) / 18;
    if (variance <= 0 || s <= 0) return 1;
    double z = (double(s) - 1) / std::sqrt(variance);  // continuity correction
    return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double theilSenSlope(const Series& values, size_t first, size_t last) {
    if (last <= first) return 0;
    size_t stride = std::max<size_t>(1, (last - first + kTheilSenPoints) / kTheilSenPoints);
    std::vector<std::pair<double, double>> points;
    for (size_t t = first; t <= last; t += stride) points.emplace_back(double(t), double(values[t]));
    return theilSenPoints(points);
}

double recordsP(size_t from, size_t to, int records) {
    if (records <= 0) return 1;
    // Poisson-binomial tail by dynamic programming; state `records` collects "at least that many".
    std::vector<double> probability(size_t(records) + 1, 0.0);
    probability[0] = 1;
    for (size_t k = std::max<size_t>(from, 1); k <= to; ++k) {
        double q = 1.0 / double(k);
        for (size_t c = size_t(records); c > 0; --c)
            probability[c] = c == size_t(records) ? probability[c] + probability[c - 1] * q
                                                  : probability[c] * (1 - q) + probability[c - 1] * q;
        probability[0] *= 1 - q;
    }
    return probability[size_t(records)];
}

GrowthVerdict analyzeGrowth(const Series& count, const Series& bytes, int warmup) {
    GrowthVerdict verdict;
    const size_t snapshots = std::min(count.size(), bytes.size());
    if (snapshots < size_t(kMinimumSnapshots)) return verdict;
    verdict.judged = true;
    size_t skipped = growthWarmup(snapshots, warmup);
    verdict.warmup = int(skipped);
    verdict.cycles_observed = int(snapshots - 1 - skipped);
    for (size_t i = skipped + 1; i < snapshots; ++i)
        if (count[i] > count[i - 1] || bytes[i] > bytes[i - 1]) ++verdict.cycles_grown;

    const Series c(count.begin() + long(skipped), count.begin() + long(snapshots));
    const Series b(bytes.begin() + long(skipped), bytes.begin() + long(snapshots));
    const size_t end = c.size() - 1;
    MetricGrowth growth;
    if (auto doubling = judgeDoubling(c, b)) {
        verdict.capacity_doubling = true;
        growth = doubling->growth;
        verdict.bytes_per_cycle = doubling->bytes_per_cycle;
    } else {
        auto by_count = judgeMetric(c), by_bytes = judgeMetric(b);
        if (!by_count && by_bytes && blocksReplaced(c, by_bytes->onset)) {
            verdict.inconclusive = verdict.blocks_replaced = true;
            verdict.onset_cycle = int(by_bytes->onset + skipped);
            return verdict;
        }
        if (!by_count && !by_bytes) {
            verdict.inconclusive = stillRising(c) || stillRising(b);
            return verdict;
        }
        growth = !by_bytes || (by_count && by_count->onset <= by_bytes->onset) ? *by_count : *by_bytes;
        verdict.bytes_per_cycle = theilSenSlope(b, growth.onset, end);
        verdict.count_per_cycle = theilSenSlope(c, growth.onset, end);
    }
    verdict.growing = true;
    verdict.p_value = growth.p;
    verdict.new_highs = growth.new_highs;
    verdict.onset_cycle = int(growth.onset + skipped);
    return verdict;
}

}  // namespace leakscope::analyzer
