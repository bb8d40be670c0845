// Findings with one stack key are one finding: series summed, verdict recomputed, largest site shown.
#include <catch2/catch.hpp>

#include "core/FindingMerge.h"

using namespace leakscope::analyzer;

namespace {

Finding growthSite(const std::string& key, int line, uint64_t bytes_per_block) {
    Finding finding;
    finding.type = kGrowth;
    finding.resource = "memory";
    finding.pid = 7;
    finding.label = "cycle";
    finding.stack_key = key;
    SymbolizedFrame frame;
    frame.function = "create";
    frame.line = line;
    frame.known = true;
    finding.stack = {frame};
    for (uint64_t i = 0; i < 10; ++i) {
        finding.series_count.push_back(i);
        finding.series_bytes.push_back(i * bytes_per_block);
    }
    finding.count_per_cycle = 1;
    finding.bytes_per_cycle = double(bytes_per_block);
    return finding;
}

}  // namespace

TEST_CASE("growth sites of one call path merge into one finding with their total per cycle") {
    std::vector<Finding> findings = {growthSite("k1", 10, 100), growthSite("k1", 11, 400), growthSite("k1", 12, 32)};
    mergeFindingsWithSameStackKey(findings, 1);
    REQUIRE(findings.size() == 1);
    const Finding& merged = findings[0];
    CHECK(merged.sites == 3);
    CHECK(merged.bytes_per_cycle == 532);
    CHECK(merged.count_per_cycle == 3);
    CHECK(merged.cycles_grown == merged.cycles_observed);
    CHECK(merged.series_bytes.back() == 9 * 532);
    CHECK(merged.stack[0].line == 11);  // the largest site's stack is the one shown
}

TEST_CASE("findings of other keys, labels, processes or types stay apart, leaked handles never merge") {
    std::vector<Finding> findings = {growthSite("k1", 10, 100), growthSite("k2", 10, 100)};
    findings.push_back(growthSite("k1", 10, 100));
    findings.back().label = "other";
    findings.push_back(growthSite("k1", 10, 100));
    findings.back().pid = 8;
    Finding exit_leak = growthSite("k1", 10, 100);
    exit_leak.type = kExitLeak;
    exit_leak.bytes = 10;
    exit_leak.count = 1;
    findings.push_back(exit_leak);
    findings.push_back(exit_leak);
    Finding handle;
    handle.type = kLeakedHandle;
    handle.stack_key = "h";
    handle.stack = exit_leak.stack;
    findings.push_back(handle);
    findings.push_back(handle);
    mergeFindingsWithSameStackKey(findings, 1);
    REQUIRE(findings.size() == 7);
    CHECK(findings[4].type == kExitLeak);
    CHECK(findings[4].bytes == 20);
    CHECK(findings[4].count == 2);
    CHECK(findings[4].sites == 2);
}
