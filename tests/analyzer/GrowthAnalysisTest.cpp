// The growth rule on synthetic series: each shape a program's memory can take across cycles
// (docs/analysis.md has the table these cases follow).
#include <catch2/catch.hpp>

#include <functional>

#include "core/GrowthAnalysis.h"

using namespace leakscope::analyzer;

namespace {

std::vector<uint64_t> times(const std::vector<uint64_t>& counts, uint64_t factor) {
    std::vector<uint64_t> out;
    for (auto c : counts) out.push_back(c * factor);
    return out;
}

std::vector<uint64_t> generate(int snapshots, const std::function<uint64_t(int)>& value) {
    std::vector<uint64_t> out;
    for (int i = 0; i < snapshots; ++i) out.push_back(value(i));
    return out;
}

// Deterministic pseudo-random integers in [0, span].
struct Noise {
    uint32_t state;
    uint64_t operator()(uint64_t span) {
        state = state * 1103515245u + 12345u;
        return (state >> 16) % (span + 1);
    }
};

// A vector's capacity after push_back of `elements` elements (doubling from 1).
uint64_t capacity(int elements) {
    uint64_t c = 1;
    while (c < uint64_t(elements)) c *= 2;
    return c;
}

GrowthVerdict judge(const std::vector<uint64_t>& counts, int warmup = 1) { return analyzeGrowth(counts, times(counts, 64), warmup); }

}  // namespace

TEST_CASE("a steady leak grows on every cycle") {
    auto verdict = judge(generate(20, [](int i) { return 10 + 4 * uint64_t(i); }));
    CHECK(verdict.growing);
    CHECK(verdict.count_per_cycle == 4);
    CHECK(verdict.bytes_per_cycle == 256);
    CHECK(verdict.cycles_observed == 18);
    CHECK(verdict.cycles_grown == 18);
    CHECK(verdict.onset_cycle == 1);
    CHECK(verdict.new_highs == 18);
    CHECK(verdict.p_value <= kSignificance);
}

TEST_CASE("a leak that pauses now and then is still a leak") {
    CHECK(judge({1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12}).growing);
}

TEST_CASE("a leak on every k-th cycle (k = 2..5) is found with its per-cycle rate") {
    for (int k = 2; k <= 5; ++k) {
        INFO("every " << k << " cycles");
        // l_every2nd.c's shape: the block count goes 1 1 2 2 3 3 ... (k = 2)
        auto verdict = judge(generate(40, [k](int i) { return uint64_t(i / k + 1); }));
        CHECK(verdict.growing);
        CHECK_FALSE(verdict.capacity_doubling);
        CHECK(verdict.count_per_cycle == Approx(1.0 / k).epsilon(0.1));
        CHECK(verdict.bytes_per_cycle == Approx(64.0 / k).epsilon(0.1));
        CHECK(verdict.onset_cycle <= k);
    }
}

TEST_CASE("a leak that starts late is found, with its onset") {
    std::vector<uint64_t> counts(10, 5);
    for (uint64_t i = 1; i <= 10; ++i) counts.push_back(5 + 2 * i);
    auto verdict = judge(counts);
    CHECK(verdict.growing);
    CHECK(verdict.count_per_cycle == 2);
    CHECK(verdict.onset_cycle == 9);
}

TEST_CASE("a leak in the last 5 cycles of a long run, rising to new highs, is found") {
    for (int rising : {5, 6, 8}) {
        INFO(rising << " rising cycles at the end of 40");
        auto counts = generate(40, [rising](int i) { return uint64_t(i < 40 - rising ? 10 : 10 + (i - (40 - rising) + 1)); });
        auto verdict = judge(counts);
        CHECK(verdict.growing);
        CHECK(verdict.onset_cycle == 40 - rising - 1);
        CHECK(verdict.count_per_cycle == 1);
    }
    // the same after a noisy flat part
    Noise noise{7};
    auto counts = generate(40, [&](int i) { return i < 34 ? 20 + noise(6) : uint64_t(27 + 2 * (i - 34)); });
    auto verdict = judge(counts);
    CHECK(verdict.growing);
    CHECK(verdict.onset_cycle == 33);
}

TEST_CASE("a trend clearly larger than the noise of the same stack is a leak") {
    // +1 block per cycle over 60 cycles under a 0..20 band
    for (uint32_t seed : {1u, 2u, 3u, 4u, 5u, 42u, 1234u}) {
        INFO("seed " << seed);
        Noise noise{seed};
        auto verdict = judge(generate(60, [&](int i) { return uint64_t(i) + noise(20); }));
        CHECK(verdict.growing);
        CHECK(verdict.count_per_cycle == Approx(1).epsilon(0.25));
    }
}

TEST_CASE("noise inside a band is not a leak") {
    for (uint32_t seed : {12345u, 1u, 2u, 3u, 99u, 2024u}) {
        INFO("seed " << seed);
        Noise noise{seed};
        CHECK_FALSE(judge(generate(40, [&](int) { return 90 + noise(20); })).growing);
        CHECK_FALSE(judge(generate(60, [&](int) { return noise(20); })).growing);
    }
}

TEST_CASE("capacity doubling is growth, marked, with the logical rate") {
    // l_vector_pushback.cpp: a vector<int> gets one element per cycle; its one block is 4 B x capacity
    for (int cycles : {40, 60, 64}) {
        INFO(cycles << " cycles");
        auto bytes = generate(cycles, [](int i) { return 4 * capacity(i + 1); });
        auto verdict = analyzeGrowth(std::vector<uint64_t>(size_t(cycles), 1), bytes, 1);
        CHECK(verdict.growing);
        CHECK(verdict.capacity_doubling);
        CHECK(verdict.bytes_per_cycle == Approx(4));
        CHECK(verdict.count_per_cycle == 0);
    }
    // a buffer that doubled a few times while filling and then stays is not
    auto bytes = generate(40, [](int i) { return uint64_t(64) << std::min(i, 4); });
    CHECK_FALSE(analyzeGrowth(std::vector<uint64_t>(40, 1), bytes, 1).growing);
}

TEST_CASE("bytes growing at a constant count (a buffer that keeps growing) is growth") {
    auto verdict = analyzeGrowth(std::vector<uint64_t>(10, 1), generate(10, [](int i) { return 100 * uint64_t(i + 1); }), 1);
    CHECK(verdict.growing);
    CHECK_FALSE(verdict.capacity_doubling);
    CHECK(verdict.count_per_cycle == 0);
    CHECK(verdict.bytes_per_cycle == 100);
}

TEST_CASE("a one-time cache is not a leak") {
    CHECK_FALSE(judge({0, 50, 50, 50, 50, 50, 50, 50, 50, 50}).growing);
    // filled during the first counted cycle, then flat
    CHECK_FALSE(judge({0, 10, 60, 60, 60, 60, 60, 60, 60, 60}).growing);
    // filled at a later cycle, once
    CHECK_FALSE(judge(generate(40, [](int i) { return uint64_t(i < 17 ? 3 : 53); })).growing);
}

TEST_CASE("a cache filling over a few cycles is not a leak") {
    CHECK_FALSE(judge({0, 10, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30}).growing);
    for (int fill : {3, 5, 8}) {
        INFO("fills over " << fill << " cycles");
        CHECK_FALSE(judge(generate(40, [fill](int i) { return uint64_t(std::min(i, fill)); })).growing);
    }
}

TEST_CASE("a bounded LRU or pool with a high-water mark is not a leak") {
    // one entry per cycle up to the bound, then an eviction per insertion
    CHECK_FALSE(judge(generate(40, [](int i) { return uint64_t(std::min(i, 30)); })).growing);
    // a pool that grows to its high-water mark and then hovers below it
    Noise noise{5};
    CHECK_FALSE(judge(generate(40, [&](int i) { return i < 12 ? uint64_t(i) : 8 + noise(4); })).growing);
}

TEST_CASE("a sawtooth is not a leak") {
    CHECK_FALSE(judge({1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}).growing);
    CHECK_FALSE(judge({5, 9, 5, 9, 5, 9, 5, 9, 5, 9}).growing);
}

TEST_CASE("a periodic flush (grows 9 cycles, drops to zero) is not a leak") {
    CHECK_FALSE(judge(generate(40, [](int i) { return uint64_t(i % 10); })).growing);
    CHECK_FALSE(judge(generate(25, [](int i) { return uint64_t(i % 10); })).growing);
}

TEST_CASE("growth only during warm-up is ignored") {
    CHECK_FALSE(judge({0, 100, 100, 100, 100, 100, 100, 100, 100}).growing);
    auto verdict = judge({0, 100, 101, 102, 103, 104, 105, 106, 107});
    CHECK(verdict.growing);
    CHECK(verdict.warmup == 1);
    CHECK(verdict.onset_cycle == 1);
    // A warm-up longer than the series allows is cut so that kSignificantSnapshots remain.
    auto cut = judge({0, 100, 101, 102, 103, 104, 105, 106, 107}, 4);
    CHECK(cut.growing);
    CHECK(cut.warmup == 2);
}

TEST_CASE("a short series is judged only on a new high at every snapshot, and a shorter one is not judged") {
    auto verdict = judge({1, 2, 3, 4});
    CHECK_FALSE(verdict.judged);
    CHECK_FALSE(verdict.growing);
    // 5 or 6 snapshots: the warm-up is not applied and every interval must set a new high
    auto five = judge({1000, 2000, 3000, 4000, 5000});
    CHECK(five.judged);
    CHECK(five.growing);
    CHECK(five.warmup == 0);
    CHECK(five.bytes_per_cycle == 64000);
    CHECK(five.p_value == Approx(1.0 / 120));
    CHECK_FALSE(judge({0, 100, 100, 100, 100}).growing);
    CHECK_FALSE(judge({1, 2, 3, 3, 4, 5}).growing);
    CHECK(judge({1, 2, 3, 4, 5, 6, 7}).growing);
}

TEST_CASE("the statistics the rule is built from") {
    // Mann-Kendall: 7 rising values, S = 21, variance 44.33
    CHECK(mannKendallP({1, 2, 3, 4, 5, 6, 7}, 0, 6) == Approx(0.5 * std::erfc(20 / std::sqrt(44.3333) / std::sqrt(2.0))));
    CHECK(mannKendallP({7, 6, 5, 4, 3, 2, 1}, 0, 6) == 1);
    CHECK(mannKendallP({3, 3, 3, 3}, 0, 3) == 1);
    // records: positions 2..7 all new highs: 1/(2*3*4*5*6*7)
    CHECK(recordsP(2, 7, 6) == Approx(1.0 / 5040));
    CHECK(recordsP(1, 10, 1) == Approx(1));  // the first value is always a new high
    CHECK(theilSenSlope({0, 2, 4, 6, 100}, 0, 4) == 2);
}

TEST_CASE("a series still rising when it ends, too short for the tests, is inconclusive, not clean") {
    // Five blocks a cycle, then one flat snapshot (a detach right after the last scheduled snapshot).
    const std::vector<uint64_t> count{0, 5, 10, 15, 20, 25, 30, 30};
    GrowthVerdict verdict = analyzeGrowth(count, times(count, 100), 1);
    CHECK_FALSE(verdict.growing);
    CHECK(verdict.inconclusive);
    // The same shape with more cycles is growth, and then not inconclusive.
    const std::vector<uint64_t> longer{0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 45};
    GrowthVerdict judged = analyzeGrowth(longer, times(longer, 100), 1);
    CHECK(judged.growing);
    CHECK_FALSE(judged.inconclusive);
}

TEST_CASE("a cache that filled and then stayed flat is not inconclusive") {
    const std::vector<uint64_t> filled{0, 10, 20, 30, 30, 30, 30, 30, 30, 30};
    GrowthVerdict verdict = analyzeGrowth(filled, times(filled, 64), 1);
    CHECK_FALSE(verdict.growing);
    CHECK_FALSE(verdict.inconclusive);
    const std::vector<uint64_t> flat(10, 7);
    CHECK_FALSE(analyzeGrowth(flat, times(flat, 64), 1).inconclusive);
}

TEST_CASE("bytes rising while several blocks are only replaced by larger ones are not judged, not a leak") {
    // Shared case 24 (a 64-slot ring, free(held[s]); held[s] = malloc(16 + i % 512), snapshots from a 2 ms
    // timer's handler that starved the loop): the 'from-handler' series of three runs in 30 that failed the
    // gate as growth. The snapshots fell on the first rise of the sizes (16 + i for i < 512): the bytes
    // rose, the 64 blocks stayed 64 (63 between a free and its malloc).
    const std::vector<std::vector<uint64_t>> captured_bytes{
        {4768, 4768, 4768, 4768, 4768, 4768, 4768, 4768, 4768, 5920, 5920, 6048, 11040, 11040, 11040, 16992, 16992, 27872, 27872, 22944},
        {5152, 5152, 5152, 6048, 6048, 6048, 8672, 8672, 8672, 8672, 11744, 11744, 11744, 11744, 16224, 16224, 21536, 21536, 11296, 8190},
        {7072, 7072, 7072, 7072, 8928, 8928, 11168, 11168, 11168, 19104, 19104, 19616, 19616, 26144, 26144, 21728, 21728, 26656, 22304, 24416}};
    for (size_t run = 0; run < captured_bytes.size(); ++run) {
        INFO("captured run " << run);
        std::vector<uint64_t> count(20, 64);
        if (run == 1) count.back() = 63;
        // What the rule said before: the bytes alone passed the trend tests.
        GrowthVerdict bytes_alone = analyzeGrowth(std::vector<uint64_t>(20, 1), captured_bytes[run], 1);
        CHECK(bytes_alone.growing);
        GrowthVerdict verdict = analyzeGrowth(count, captured_bytes[run], 1);
        CHECK_FALSE(verdict.growing);
        CHECK(verdict.inconclusive);
        CHECK(verdict.blocks_replaced);
        CHECK(verdict.p_value == 1);
    }
}

TEST_CASE("a ring that fills up and then only replaces its blocks is not judged, not a leak") {
    // Captured from a real run (a 64-slot ring filled 6 slots a cycle, 100 free+malloc of 16..527 B per
    // cycle, one snapshot a cycle): the count levels off at cycle 10, the bytes go on setting new highs
    // from the sizes until cycle 17. It was gated as 788.7 B (2.8 blocks) per cycle.
    const std::vector<uint64_t> count{6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64};
    const std::vector<uint64_t> bytes{1551,  3162,  4833,  6564,  8355,  10206, 11605, 13064, 14583, 15650,
                                      16992, 17248, 18016, 17760, 16992, 16224, 17504, 18272, 17504, 16736};
    GrowthVerdict ring = analyzeGrowth(count, bytes, 1);
    CHECK_FALSE(ring.growing);
    CHECK(ring.inconclusive);
    CHECK(ring.blocks_replaced);
    // The same ring that never stops filling (one more slot a cycle to the end) is growth.
    std::vector<uint64_t> filling, filling_bytes;
    for (int i = 0; i < 20; ++i) filling.push_back(6 + 3 * uint64_t(i)), filling_bytes.push_back(270 * filling.back() + uint64_t(i % 3) * 90);
    GrowthVerdict leak = analyzeGrowth(filling, filling_bytes, 1);
    CHECK(leak.growing);
    CHECK_FALSE(leak.blocks_replaced);
    // A count that pauses as long as it ever did while rising has not levelled off: a leak every 3rd cycle.
    std::vector<uint64_t> every3, every3_bytes;
    for (int i = 0; i < 30; ++i) every3.push_back(10 + uint64_t(i / 3)), every3_bytes.push_back(300 * every3.back() + uint64_t(i % 5) * 40);
    CHECK(analyzeGrowth(every3, every3_bytes, 1).growing);
}

TEST_CASE("bytes rising with the blocks kept, or in one block, are growth") {
    // Blocks of varying sizes kept: one more block a cycle under a band of 0..20 replaced ones.
    Noise noise{11};
    std::vector<uint64_t> count, bytes;
    for (int i = 0; i < 40; ++i) {
        uint64_t churn = noise(20);
        count.push_back(64 + churn + uint64_t(i));
        bytes.push_back(64 * 300 + churn * noise(500) + 400 * uint64_t(i));
    }
    GrowthVerdict kept = analyzeGrowth(count, bytes, 1);
    CHECK(kept.growing);
    CHECK_FALSE(kept.blocks_replaced);
    // A few blocks kept (the count rises, too slowly and too rarely for the count's own tests), the bytes rise.
    const std::vector<uint64_t> few{5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8};
    GrowthVerdict slow = analyzeGrowth(few, generate(20, [](int i) { return uint64_t(1000 + 700 * i); }), 1);
    CHECK(slow.growing);
    CHECK_FALSE(slow.blocks_replaced);
    // One block that keeps growing (a buffer realloc'ed larger): one block is one object.
    GrowthVerdict buffer = analyzeGrowth(std::vector<uint64_t>(20, 1), generate(20, [](int i) { return uint64_t(64 + 48 * i); }), 1);
    CHECK(buffer.growing);
    CHECK_FALSE(buffer.inconclusive);
    // Capacity doubling of several blocks in step (a count that stays constant) is still growth.
    GrowthVerdict doubling = analyzeGrowth(std::vector<uint64_t>(60, 4), generate(60, [](int i) { return 4 * 8 * capacity(i + 1); }), 1);
    CHECK(doubling.growing);
    CHECK(doubling.capacity_doubling);
}
