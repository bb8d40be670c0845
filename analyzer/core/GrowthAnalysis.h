// The per-cycle growth rule (docs/analysis.md explains why it looks like this). Pure functions over a
// series of live counts/bytes, one value per snapshot of a label series, so the rule is tested on
// synthetic series without files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leakscope::analyzer {

struct GrowthVerdict {
    bool growing = false;
    double bytes_per_cycle = 0;  // median delta over the growing window
    double count_per_cycle = 0;
    int cycles_grown = 0;        // intervals after warm-up in which count or bytes rose
    int cycles_observed = 0;     // intervals after warm-up
    int onset_cycle = 0;         // index (into the full series) of the growing window's first snapshot
    int warmup = 0;              // snapshots actually skipped (may be less than asked on short series)
};

// Fraction of a window's intervals that must rise (a leak may pause for a cycle now and then).
inline constexpr double kGrowthFraction = 0.8;
// A window shorter than this many intervals is never a leak on its own (three rises in a row happen by chance).
inline constexpr int kMinimumWindow = 3;

// `count` and `bytes` have one entry per snapshot of the series (same length, >= 3 for a verdict).
// `warmup`: snapshots at the start to ignore (reduced so that at least 2 intervals remain).
GrowthVerdict analyzeGrowth(const std::vector<uint64_t>& count, const std::vector<uint64_t>& bytes, int warmup);

// One metric: the earliest start of a window that grows per the rule, or -1. Exposed for tests.
int growingWindowStart(const std::vector<uint64_t>& values, size_t first);

double medianDelta(const std::vector<uint64_t>& values, size_t first);

}  // namespace leakscope::analyzer
