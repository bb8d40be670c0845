// The reachability scan under the real preload: reach_cases (every memcheck class in one process) is
// run, its snapshots are read back with the validating reader, and each case's blocks must have their
// class, per cycle and at exit; the modes, the budget and a forbidden clone change only whether
// classes are written, never whether the snapshot is.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "PreloadTestSupport.h"
#include "ProcessRunner.h"
#include "ReachabilityCases.h"
#include "ToolRun.h"
#include "leakscope/SnapshotReader.h"

using namespace leakscope;
using namespace leakscope::testing;

namespace {

constexpr int kCycles = 4;

snapshot::Snapshot read(const std::string& file) {
    auto parsed = snapshot::readSnapshotFile(file);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    return *std::move(parsed);
}

// Runs reach_cases under the preload with these settings; the program's own result must be a plain run's.
ProcessResult runCases(const std::string& dir, std::map<std::string, std::string> env, int cycles = kCycles,
                       long extra = 0) {
    ProcessOptions options;
    options.set_env = std::move(env);
    auto result = runWithPreload(dir, reachCasesCommand(cycles, extra), options);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == "done " + std::to_string(cycles) + " cycles\n");
    return result;
}

void requireCasesClassified(const snapshot::Snapshot& s, int cycles, bool at_exit) {
    INFO(s.file);
    REQUIRE(s.version == snapshot::kFormatVersion);
    REQUIRE(s.counters.reachability_status == uint64_t(snapshot::ReachabilityStatus::Classified));
    REQUIRE(s.reachability.size() == s.allocations.size());
    CHECK(s.counters.reachability_scan_ns > 0);
    for (uint64_t size : kCaseSizes) {
        INFO("blocks of " << size << " bytes");
        CHECK(describe(classesOfSize(s, size)) == describe(expectedClasses(size, cycles, at_exit)));
    }
}

void requireUnclassified(const snapshot::Snapshot& s, snapshot::ReachabilityStatus status) {
    INFO(s.file);
    CHECK(s.counters.reachability_status == uint64_t(status));
    CHECK(s.reachability.empty());
    CHECK(s.allocations.size() > 0);  // the snapshot itself is complete
}

}  // namespace

TEST_CASE("LEAKSCOPE_REACHABILITY=all classifies every cycle snapshot and the exit one, block by block") {
    TemporaryDirectory dir;
    runCases(dir.path(), {{"LEAKSCOPE_REACHABILITY", "all"}});
    const auto cycles = snapshotsLabelled(dir.path(), "cycle");
    REQUIRE(cycles.size() == kCycles);
    for (int i = 0; i < kCycles; ++i) requireCasesClassified(read(cycles[size_t(i)]), i + 1, false);
    const auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    requireCasesClassified(read(exits[0]), kCycles, true);
}

TEST_CASE("by default only the exit snapshot is classified, and off classifies none") {
    TemporaryDirectory by_default;
    runCases(by_default.path(), {});
    for (const auto& file : snapshotsLabelled(by_default.path(), "cycle"))
        requireUnclassified(read(file), snapshot::ReachabilityStatus::NotAttempted);
    const auto exits = snapshotsLabelled(by_default.path(), "exit");
    REQUIRE(exits.size() == 1);
    requireCasesClassified(read(exits[0]), kCycles, true);

    TemporaryDirectory off;
    runCases(off.path(), {{"LEAKSCOPE_REACHABILITY", "off"}});
    const auto files = listSnapshots(off.path());
    REQUIRE(files.size() == kCycles + 1);
    for (const auto& file : files) requireUnclassified(read(file), snapshot::ReachabilityStatus::NotAttempted);
}

TEST_CASE("a bad LEAKSCOPE_REACHABILITY value is one line and the default holds") {
    TemporaryDirectory dir;
    auto result = runCases(dir.path(), {{"LEAKSCOPE_REACHABILITY", "sometimes"}, {"LEAKSCOPE_REACHABILITY_BUDGET_MS", "0"}});
    CHECK(result.err ==
          "leakscope: LEAKSCOPE_REACHABILITY=\"sometimes\" is not one of off, exit, all; using exit\n"
          "leakscope: LEAKSCOPE_REACHABILITY_BUDGET_MS=\"0\" is not a number of milliseconds from 1 to 600000; using 5000\n");
    const auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    requireCasesClassified(read(exits[0]), kCycles, true);
}

TEST_CASE("a scan past its budget is reported as skipped and the snapshot is written without classes") {
    TemporaryDirectory dir;
    // 300,000 more reachable blocks take far more than 1 ms to mark on any machine.
    runCases(dir.path(), {{"LEAKSCOPE_REACHABILITY_BUDGET_MS", "1"}}, kCycles, 300000);
    const auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    const auto s = read(exits[0]);
    requireUnclassified(s, snapshot::ReachabilityStatus::Skipped);
    CHECK(s.allocations.size() > 300000);
    CHECK(s.counters.reachability_scan_ns > 0);
}

TEST_CASE("a scan whose clone is forbidden by a seccomp filter is reported as failed, the snapshot written") {
    // The filter is installed by the program itself through the raw system call (no hook sees it, so no
    // `sandbox` snapshot ends the tracking): a filter inherited at exec leaves the process untracked
    // instead (docs/RELIABILITY.md).
    TemporaryDirectory dir;
    ProcessOptions options;
    options.set_env["REACH_DENY_CLONE"] = "1";
    auto result = runWithPreload(dir.path(), reachCasesCommand(kCycles), options);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == "done " + std::to_string(kCycles) + " cycles\n");
    const auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    requireUnclassified(read(exits[0]), snapshot::ReachabilityStatus::Failed);
}
