// The daemon idiom "close every fd from 3 to OPEN_MAX" under `leakscope run --check` (handleprog_close_sweep):
// the closes of fds the program never held fail with EBADF and close nothing, so they are one
// informational unopened_fd_close entry and the gate passes; a real double close per cycle still gates;
// fds inherited at start (10 and 251) are a baseline the sweep may close. And when a process makes more
// events of one kind than the preload's event store keeps, the report says its list is incomplete.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "HandleSnapshots.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

constexpr int kCycles = 6;  // growth needs a series of 5

std::string verdictLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// `leakscope run --check --format json -- handleprog_close_sweep [--inherit] MODE 6` in `directory`.
ToolRun runSweep(const TemporaryDirectory& directory, const std::string& mode, bool inherit) {
    std::vector<std::string> program = {LEAKSCOPE_TARGET_HANDLEPROG_CLOSE_SWEEP};
    if (inherit) program.push_back("--inherit");
    program.insert(program.end(), {mode, std::to_string(kCycles)});
    return runUnderTool(directory.path(), program, {"--check"});
}

}  // namespace

TEST_CASE("a daemon that closes every fd up to OPEN_MAX once passes the gate, and the sweep is listed as informational", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runSweep(directory, "clean", true);
    INFO("leakscope run stdout: " << run.process.out << "\nstderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    // The exec'd image started with fds 10 and 251 open, and its sweep closed them: a baseline, no finding.
    REQUIRE(handles::printedNumbers(run.process.out, "inherited") == std::vector<int>{2});
    CHECK(handles::printedNumbers(run.process.out, "swept").at(0) >= 2);
    CHECK(run.process.exit_code == 0);
    CHECK(run.report.value("verdict", "") == "clean");
    CHECK(findingsOfType(run.report, "bad_close").empty());
    CHECK(findingsOfType(run.report, "double_close").empty());
    CHECK(findingsOfType(run.report, "leaked_handle").empty());
    const auto sweeps = findingsOfType(run.report, "unopened_fd_close");
    REQUIRE(sweeps.size() == 1);
    INFO(sweeps[0].dump());
    CHECK_FALSE(sweeps[0].value("gating", true));
    CHECK(stackHasFunction(sweeps[0], "close_every_fd"));
    CHECK(sweeps[0].value("value", 0) >= 3);
    // Every number of the sweep but the fds it really closed and the tracker's (which fail as unopened
    // too): one record, counted, never dropped.
    const long open_max = sysconf(_SC_OPEN_MAX);
    CHECK(sweeps[0].value("count", 0LL) >= open_max - 3 - 2 - 64);
    CHECK(sweeps[0].value("count", 0LL) <= open_max - 3 - 2);
    CHECK(run.report["summary"].value("events_not_stored", -1) == 0);
    // The preload counted every one of them, and the one stored record stands for all.
    bool exit_seen = false;
    for (const auto& file : run.snapshots()) {
        const json shown = showSnapshot(file);
        if (shown.value("label", "") != "exit" || shown.value("pid", 0LL) != sweeps[0].value("pid", -1LL)) continue;
        exit_seen = true;
        CHECK(shown["counters"].value("unopened_fd_closes", 0LL) == sweeps[0].value("count", -1LL));
        CHECK(shown["counters"].value("bad_closes", -1LL) == 0);
        CHECK(shown["counters"].value("events_dropped", -1LL) == 0);
    }
    CHECK(exit_seen);

    const ProcessResult text = runAnalyzer({"report", run.snapshot_dir});
    CHECK(text.out.find("[unopened_fd_close] close of fds never opened x") != std::string::npos);
    CHECK(text.out.find("informational: does not fail the gate") != std::string::npos);
}

TEST_CASE("the same daemon with a real double close per cycle still fails the gate with it", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runSweep(directory, "double", true);
    INFO("leakscope run stdout: " << run.process.out << "\nstderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == 1);
    CHECK(run.report.value("verdict", "") == "leak");
    const auto doubles = findingsOfType(run.report, "double_close");
    REQUIRE(doubles.size() == 1);
    CHECK(doubles[0].value("count", 0) == kCycles);
    CHECK(doubles[0].value("gating", false));
    CHECK(stackHasFunction(doubles[0], "close_twice"));
    // The sweep is still only informational.
    const auto sweeps = findingsOfType(run.report, "unopened_fd_close");
    REQUIRE(sweeps.size() == 1);
    CHECK_FALSE(sweeps[0].value("gating", true));
    CHECK(findingsOfType(run.report, "bad_close").empty());
}

TEST_CASE("events counted but not stored make the report say which list is incomplete, never a plain clean", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runSweep(directory, "invalid", false);
    INFO("leakscope run stdout: " << run.process.out << "\nstderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == 0);  // close(-1) informs; what was not stored is said, not gated
    // 300 close(-1) from one function: the store keeps 256 of them (preload/tables/EventStore.h).
    const auto invalid = findingsOfType(run.report, "invalid_fd_close");
    REQUIRE(invalid.size() == 1);
    CHECK(invalid[0].value("count", 0) == 256);
    CHECK(run.report["summary"].value("events_not_stored", 0) == 300 - 256);
    bool said = false;
    for (const auto& item : run.report.value("not_judged", json::array()))
        said = said || (item.value("what", "") == "events" &&
                        item.value("reason", "").find("invalid fd closes (invalid_fd_close): 300 counted, 256 stored") != std::string::npos);
    CHECK(said);

    const ProcessResult text = runAnalyzer({"report", run.snapshot_dir});
    CHECK(verdictLine(text.out).find("clean where judged") != std::string::npos);
    CHECK(text.out.find("events not judged: pid ") != std::string::npos);
    CHECK(text.out.find("300 counted, 256 stored") != std::string::npos);
    CHECK(text.out.find("44 events were counted but not stored") != std::string::npos);
    const ProcessResult markdown = runAnalyzer({"report", run.snapshot_dir, "--format", "markdown"});
    CHECK(markdown.out.find("300 counted, 256 stored") != std::string::npos);
}
