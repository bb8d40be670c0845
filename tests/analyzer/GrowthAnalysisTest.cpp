// The growth rule on synthetic series: each shape a program's memory can take across cycles.
#include <catch2/catch.hpp>

#include "core/GrowthAnalysis.h"

using namespace leakscope::analyzer;

namespace {

std::vector<uint64_t> times(const std::vector<uint64_t>& counts, uint64_t factor) {
    std::vector<uint64_t> out;
    for (auto c : counts) out.push_back(c * factor);
    return out;
}

GrowthVerdict judge(const std::vector<uint64_t>& counts, int warmup = 1) { return analyzeGrowth(counts, times(counts, 64), warmup); }

}  // namespace

TEST_CASE("a steady leak grows on every cycle") {
    std::vector<uint64_t> counts;
    for (uint64_t i = 0; i < 20; ++i) counts.push_back(10 + 4 * i);
    auto verdict = judge(counts);
    CHECK(verdict.growing);
    CHECK(verdict.count_per_cycle == 4);
    CHECK(verdict.bytes_per_cycle == 256);
    CHECK(verdict.cycles_observed == 18);
    CHECK(verdict.cycles_grown == 18);
}

TEST_CASE("a leak that pauses now and then is still a leak") {
    std::vector<uint64_t> counts = {1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12};
    CHECK(judge(counts).growing);
}

TEST_CASE("a one-time cache is not a leak") {
    CHECK_FALSE(judge({0, 50, 50, 50, 50, 50, 50, 50, 50, 50}).growing);
    // filled during the first counted cycle, then flat
    CHECK_FALSE(judge({0, 10, 60, 60, 60, 60, 60, 60, 60, 60}).growing);
    // a cache that fills over a few cycles and then stays
    CHECK_FALSE(judge({0, 10, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30}).growing);
}

TEST_CASE("a sawtooth is not a leak") {
    CHECK_FALSE(judge({1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}).growing);
    CHECK_FALSE(judge({5, 9, 5, 9, 5, 9, 5, 9, 5, 9}).growing);
}

TEST_CASE("a leak that starts late is found, with its onset") {
    std::vector<uint64_t> counts(10, 5);
    for (uint64_t i = 1; i <= 10; ++i) counts.push_back(5 + 2 * i);
    auto verdict = judge(counts);
    CHECK(verdict.growing);
    CHECK(verdict.count_per_cycle == 2);
    CHECK(verdict.onset_cycle == 9);
}

TEST_CASE("noise inside a band is not a leak") {
    // deterministic pseudo-random values in 100 +- 10
    std::vector<uint64_t> counts;
    uint32_t state = 12345;
    for (int i = 0; i < 40; ++i) {
        state = state * 1103515245u + 12345u;
        counts.push_back(90 + (state >> 16) % 21);
    }
    CHECK_FALSE(judge(counts).growing);
}

TEST_CASE("growth only during warm-up is ignored") {
    CHECK_FALSE(judge({0, 100, 100, 100, 100}).growing);
    CHECK(judge({0, 100, 101, 102, 103}).growing);
    // A warm-up longer than the series allows is cut so two intervals remain (101, 102, 103 rise).
    auto cut = judge({0, 100, 101, 102, 103}, 4);
    CHECK(cut.growing);
    CHECK(cut.warmup == 2);
}

TEST_CASE("bytes growing at a constant count (a buffer that keeps growing) is growth") {
    auto verdict = analyzeGrowth({1, 1, 1, 1, 1, 1}, {100, 200, 300, 400, 500, 600}, 1);
    CHECK(verdict.growing);
    CHECK(verdict.count_per_cycle == 0);
    CHECK(verdict.bytes_per_cycle == 100);
}

TEST_CASE("fewer than three snapshots give no verdict") {
    CHECK_FALSE(judge({1, 2}).growing);
}
