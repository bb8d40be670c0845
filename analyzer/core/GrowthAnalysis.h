// The per-cycle growth rule (docs/analysis.md explains it and why each shape comes out right). Pure
// functions over a series of live counts/bytes, one value per snapshot of a label series, so the rule
// is tested on synthetic series without files.
//
// In short: after warm-up, a metric grows when (1) it keeps setting new highs (at least
// kMinimumNewHighs, the last one no longer ago than the growth's own rhythm allows), (2) the rise is
// significant against "no trend" by a rank test: Mann-Kendall on the growing segment, or the record
// count of that segment (Rényi: in an exchangeable series position k is a new high with probability
// 1/k, independently), at kSignificance after a Bonferroni correction for the onsets tried, and (3)
// its Theil-Sen slope is positive. The onset is a change point: the snapshot before the first new
// high of the growing segment. A single block that is reallocated to about twice its size at spacings
// that double is a container growing by capacity doubling, reported as growth with the logical rate.
// A call path grows when its count grows, or its bytes grow and the blocks are kept (their count rises)
// or are a single block (a buffer that keeps growing); bytes that rise while several blocks are only
// replaced by larger ones are not judged (GrowthVerdict::blocks_replaced).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leakscope::analyzer {

struct GrowthVerdict {
    bool judged = false;          // false: the series is too short for any verdict (kMinimumSnapshots)
    bool growing = false;
    bool capacity_doubling = false;  // one block reallocated ~2x at doubling spacings, never given back
    double bytes_per_cycle = 0;   // Theil-Sen slope from the onset (capacity doubling: of capacity/2 at each step)
    double count_per_cycle = 0;
    double p_value = 1;           // of the trend test that decided (Bonferroni-corrected), 1 when not growing
    int new_highs = 0;            // new highs (above every earlier post-warm-up value) from the onset on
    int cycles_grown = 0;         // intervals after warm-up in which count or bytes rose
    int cycles_observed = 0;      // intervals after warm-up
    int onset_cycle = 0;          // index (into the full series) of the snapshot before the first new high
    int warmup = 0;               // snapshots actually skipped (may be less than asked on short series)
    // Not growing by the tests, but still rising at the end of the series: kMinimumNewHighs new highs or
    // more, on at least half of the intervals, the last one within kMinimumPause of the end. Too few
    // snapshots for the tests to tell such a series from a cache filling up, and too many new highs to
    // call it clean: the report says "growth not judged" for it (docs/analysis.md).
    // Also set with blocks_replaced (below).
    bool inconclusive = false;
    // Only the bytes passed the tests, while the call path held more than one block and their number did
    // not rise: the blocks were replaced by larger ones, not kept. A bounded set whose block sizes vary (a
    // ring, a pool) does that whenever the snapshots fall on the rising part of its size pattern, so it is
    // no evidence of a leak; inconclusive is set ("growth not judged"). onset_cycle is the bytes' onset.
    bool blocks_replaced = false;
};

// Snapshots a series needs for any verdict (fewer: "growth not judged").
inline constexpr int kMinimumSnapshots = 5;
// Post-warm-up values from which the trend tests can reach kSignificance at all: a series rising on every
// interval is the most extreme of n! orders, 1/5040 < 0.001 from 7 on. A shorter series (5 or 6 values) is
// judged on that most extreme shape only: a new high on every interval.
inline constexpr int kSignificantSnapshots = 7;
// A leak sets new highs again and again; one or two are a step or a cache filling.
inline constexpr int kMinimumNewHighs = 3;
// One-sided level of the trend tests, after the Bonferroni correction over the onsets tried.
inline constexpr double kSignificance = 0.001;
// A pause after the last new high is always allowed this many cycles (a leak may skip a cycle or two).
inline constexpr int kMinimumPause = 2;

// `count` and `bytes` have one entry per snapshot of the series (same length).
// `warmup`: snapshots at the start to ignore (reduced so that kSignificantSnapshots, else
// kMinimumSnapshots, remain).
GrowthVerdict analyzeGrowth(const std::vector<uint64_t>& count, const std::vector<uint64_t>& bytes, int warmup);

// Snapshots of a series of `snapshots` the rule skips for a requested `warmup`.
size_t growthWarmup(size_t snapshots, int warmup);

// Exposed for tests: the statistics the rule is built from.
// Mann-Kendall one-sided p-value that values[first..] rise (tie-corrected variance, continuity correction).
double mannKendallP(const std::vector<uint64_t>& values, size_t first, size_t last);
// Theil-Sen slope (median of pairwise slopes) of values[first..last].
double theilSenSlope(const std::vector<uint64_t>& values, size_t first, size_t last);
// P(at least `records` new highs at 1-based positions from..to) when position k is one with probability 1/k.
double recordsP(size_t from, size_t to, int records);

}  // namespace leakscope::analyzer
