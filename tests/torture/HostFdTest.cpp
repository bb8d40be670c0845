// The fd side of "the program never notices the tool" (issue 16, kinds 2, 3, 4, 9 and kind 1's dup2
// rule): real programs run plainly and under the real preload in identical directories; what they
// print, the files they write and their exit codes must match, and the traced run's snapshots must all
// be there and parse. docs/architecture.md ("Host-safety contract: fds") states the rules tested here.
#include <catch2/catch.hpp>
#include <cstdio>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

#include "ToolRun.h"
#include "TortureRun.h"

using leakscope::torture::Command;
using leakscope::torture::ComparedRuns;
using leakscope::torture::Scenario;
using leakscope::testing::TemporaryDirectory;

namespace {

ComparedRuns runBoth(const TemporaryDirectory& root, std::vector<Command> commands,
                     std::map<std::string, std::string> environment = {}) {
    Scenario scenario;
    scenario.commands = std::move(commands);
    scenario.options.set_env = std::move(environment);
    return leakscope::torture::runBothWays(root.path(), scenario);
}

size_t handlesWithPath(const nlohmann::json& snapshot, const std::string& path) {
    size_t found = 0;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array()))
        if (handle.value("path", "") == path) ++found;
    return found;
}

}  // namespace

TEST_CASE("kind 2: every close() closes while snapshots are written", "[torture][hostfd]") {
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_CLOSE_WHILE_SNAPSHOTTING}});
    leakscope::torture::requireSameBehaviour(runs, true);
    CHECK(runs.plain.out == "open failures 0, close failures 0, fds open at the end minus at the start 0\n");
    auto snapshots = leakscope::torture::requireValidSnapshots(runs.snapshot_dir);
    CHECK_FALSE(leakscope::torture::withLabel(snapshots, "tick").empty());
}

TEST_CASE("kinds 2 and 3: a data file on fd 2 gets neither snapshot bytes nor tool messages",
          "[torture][hostfd]") {
    TemporaryDirectory root;
    // LEAKSCOPE_LOG=info makes the tool speak after every snapshot: all of it must go nowhere once
    // fd 2 is no longer the stderr the process started with.
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_STDERR_REUSED}, {"cat", "data.txt"}},
                                {{"LEAKSCOPE_LOG", "info"}});
    leakscope::torture::requireSameBehaviour(runs, false);
    CHECK(runs.plain.out.find("data file fd 2\nrecord 0\n") == 0);
    CHECK(runs.traced.out.find("leakscope") == std::string::npos);
    auto snapshots = leakscope::torture::requireValidSnapshots(runs.snapshot_dir);
    CHECK(leakscope::torture::withLabel(snapshots, "tick").size() == 20);
    CHECK(leakscope::torture::withLabel(snapshots, "after").size() == 1);
}

// h16: every fd a snapshot opens (its file, the /proc/self/fd listing, the maps file) is opened on a
// helper with a copy of the fd table (docs/architecture.md, "Host-safety contract: fds"), so with a
// snapshot every millisecond neither a write to the closed fd 2 nor an open() of any thread meets one.
TEST_CASE("h16: snapshots every millisecond take no fd number of the program, in any thread",
          "[torture][hostfd]") {
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_FD_NUMBERS_INTERVAL, "4", "200", "50"}, {"cat", "data.txt"}},
                                {{"LEAKSCOPE_INTERVAL_MS", "1"}});
    leakscope::torture::requireSameBehaviour(runs, true);
    // The plain run reuses the closed fd 2 for the first open() of every round: the window tested.
    CHECK(runs.plain.out.find("thread 3: writes to the closed fd 2 that succeeded: 0; numbers: 2 ") != std::string::npos);
    CHECK(runs.plain.out.find("the program's data\n") != std::string::npos);
    // Hundreds of files: `report --strict` parses every one (exit 2 for any that is not a whole snapshot).
    auto report = leakscope::testing::runAnalyzer({"report", "--strict", runs.snapshot_dir});
    INFO("report stderr: " << report.err);
    CHECK(report.exit_code == 0);
    // 50 snapshots asked by a thread of the program while the rounds ran, the interval's on top, and
    // none holds the program's text.
    size_t ticks = 0, exits = 0;
    for (const std::string& file : leakscope::testing::listSnapshots(runs.snapshot_dir)) {
        INFO("snapshot " << file);
        ticks += file.ends_with("-tick.lksnap");
        exits += file.ends_with("-exit.lksnap");
        CHECK(leakscope::testing::readFile(file).find("diagnostic line") == std::string::npos);
    }
    CHECK(ticks == 50);
    CHECK(exits == 2);  // the program's and cat's
}

// The snapshot helper refused (lifecycle/FdTableCopy.h): a seccomp filter the tool cannot see fails
// every clone(2) with CLONE_THREAD, on every thread. Each snapshot is then written in place, its fds
// moved high and closed before the program runs on: with fd 0 closed (where an in-place open lands
// first) the program's next open() still gets 0, errno and the signal mask are as it left them, and
// every snapshot is there.
TEST_CASE("the snapshot helper refused: written in place, the program's fd numbers, errno and mask kept",
          "[torture][hostfd]") {
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_CLONE_REFUSED, "5"}}, {{"LEAKSCOPE_LOG", "info"}});
    INFO("traced stderr: " << runs.traced.err);
    leakscope::torture::requireSameBehaviour(runs, false);  // stderr: the traced run's info lines
    CHECK(runs.plain.err.empty());
    CHECK(runs.plain.out.find("clone(CLONE_THREAD): EPERM\n") == 0);  // the filter is on: the case is meaningful
    CHECK(runs.plain.out.find("main round 1: errno 4242, mask kept, fds 0 ") != std::string::npos);
    CHECK(runs.plain.out.find("thread round 1: errno 4242, mask kept, fds 0 ") != std::string::npos);
    // Every snapshot took the in-place path (5 rounds, the thread's, the exit).
    size_t in_place = 0;
    for (size_t at = 0; (at = runs.traced.err.find("snapshot helper not started", at)) != std::string::npos; ++at)
        ++in_place;
    CHECK(in_place == 7);
    auto snapshots = leakscope::torture::requireValidSnapshots(runs.snapshot_dir);
    CHECK(leakscope::torture::withLabel(snapshots, "round").size() == 6);
}

TEST_CASE("kind 4: all fds in use: same count, and every snapshot is written and lists them",
          "[torture][hostfd]") {
    for (const char* mode : {"soft", "hard"}) {
        INFO("limits lowered: " << mode);
        TemporaryDirectory root;
        ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_EXHAUST_FDS, mode}});
        leakscope::torture::requireSameBehaviour(runs, true);
        int opened = 0;
        REQUIRE(std::sscanf(runs.plain.out.c_str(), "opened %d fds, then Too many open files", &opened) == 1);
        REQUIRE(opened > 50);  // 64 minus stdio and whatever the test runner let the program inherit
        auto snapshots = leakscope::torture::requireValidSnapshots(runs.snapshot_dir);
        for (const char* label : {"full", "exit"}) {
            INFO("snapshot " << label);
            auto labelled = leakscope::torture::withLabel(snapshots, label);
            REQUIRE(labelled.size() == 1);
            CHECK(handlesWithPath(labelled[0], "/dev/null") >= static_cast<size_t>(opened));
        }
    }
}

TEST_CASE("kind 1: dup2/dup3 onto the numbers the tool uses succeed and are the program's",
          "[torture][hostfd]") {
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_DUP2_ONTO_TOP}});
    leakscope::torture::requireSameBehaviour(runs, true);
    CHECK(runs.plain.out.find("round 2 written through top-4\n") != std::string::npos);
    auto snapshots = leakscope::torture::requireValidSnapshots(runs.snapshot_dir);
    CHECK(leakscope::torture::withLabel(snapshots, "after").size() == 1);
}

TEST_CASE("kind 9: a relative output directory is resolved once, at start", "[torture][hostfd]") {
    TemporaryDirectory cwd;
    leakscope::testing::ProcessOptions options;
    options.working_directory = cwd.path();
    auto traced = leakscope::testing::runWithPreload("out", {LEAKSCOPE_TARGET_HOSTFD_CHDIR_AWAY}, options);
    REQUIRE(traced.exit_code == 0);
    CHECK(traced.out == "moved into sub\n");
    CHECK(leakscope::testing::listSnapshots(cwd.path() + "/out").size() == 2);  // "moved" and "exit"
    CHECK_FALSE(std::filesystem::exists(cwd.path() + "/sub/out"));
}

TEST_CASE("kind 11: a process that switches user prints nothing on the program's stderr", "[torture][hostfd]") {
    if (geteuid() != 0) {
        WARN("not root: the program cannot switch user; skipped");
        return;
    }
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_SWITCH_USER}});
    leakscope::torture::requireSameBehaviour(runs, true);
    CHECK(runs.plain.out == "now uid 65534\n");
}

// nginx's shape: a root master forks workers that setuid to nobody and then leak per cycle. The run's
// directory is 0700 root inside the test's private directory, so a worker can reach it only through
// the `uid-65534` directory the preload made and opened while the worker was still root.
TEST_CASE("kind 11: workers that switched user leave snapshots and their growth is reported", "[torture][hostfd]") {
    if (geteuid() != 0) {
        WARN("not root: the program cannot switch user; skipped");
        return;
    }
    TemporaryDirectory root;
    ComparedRuns runs = runBoth(root, {{LEAKSCOPE_TARGET_HOSTFD_SWITCH_USER, "workers"}});
    leakscope::torture::requireSameBehaviour(runs, true);
    CHECK(runs.plain.out == "workers done, 0 failed\n");

    TemporaryDirectory tool_root;
    leakscope::testing::ToolRun run =
        leakscope::testing::runUnderTool(tool_root.path(), {LEAKSCOPE_TARGET_HOSTFD_SWITCH_USER, "workers"});
    INFO("run: " << run.process.out << run.process.err);
    size_t worker_cycles = 0;
    for (const std::string& file : run.snapshots())
        if (file.find("/uid-65534/") != std::string::npos && file.find("-cycle.lksnap") != std::string::npos)
            ++worker_cycles;
    CHECK(worker_cycles == 16);  // 2 workers x 8 cycles
    size_t worker_growth = 0;
    for (const auto& finding : leakscope::testing::findingsOfType(run.report, "growth"))
        if (leakscope::testing::stackHasFunction(finding, "worker_leak")) ++worker_growth;
    CHECK(worker_growth >= 1);
}
