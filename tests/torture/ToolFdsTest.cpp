// Issue 16, kind 1: the tool holds no fd where the program can meet it. The program sees the same fd
// numbers, can dup2 onto every number its limit allows and open as many fds as without the tool, at
// the default limit and below 96 (`ulimit -n 64`, where a tool fd moved "to the top" lands on 3 and 4).
// Kind 14: no libunwind is loaded (the fallback unwinder is linked in), and stacks are still recorded.
#include <catch2/catch.hpp>

#include "ProcessRunner.h"
#include "Skip.h"
#include "TortureRun.h"

using leakscope::testing::TemporaryDirectory;
using namespace leakscope::torture;

namespace {

std::vector<nlohmann::json> runCompared(const Command& command) {
    Scenario scenario;
    scenario.commands = {command};
    scenario.options.timeout = std::chrono::seconds(120);
    TemporaryDirectory root;
    ComparedRuns runs = runBothWays(root.path(), scenario);
    requireSameBehaviour(runs, /*compare_stderr=*/true);
    CHECK(runs.plain.out.find("dup2 onto the top 40 fds: 0 failed") != std::string::npos);
    CHECK(runs.plain.out.find("libunwind mapped: 0") != std::string::npos);
    return requireValidSnapshots(runs.snapshot_dir);
}

// The exit snapshot holds stacks: the walk works with no unwinder library loaded.
void requireStacks(const std::vector<nlohmann::json>& snapshots) {
    size_t with_frames = 0;
    for (const auto& snapshot : withLabel(snapshots, "exit"))
        for (const auto& stack : snapshot.value("stacks", nlohmann::json::array()))
            with_frames += !stack.value("frames", nlohmann::json::array()).empty();
    CHECK(with_frames > 0);
}

}  // namespace

TEST_CASE("fd numbers at the default limit are the program's own", "[torture]") {
    requireStacks(runCompared({LEAKSCOPE_TARGET_TORTURE_NEAR_LIMIT_FDS}));
}

TEST_CASE("fd numbers below a soft limit of 96 are the program's own", "[torture]") {
    runCompared({"/bin/sh", "-c", std::string("ulimit -n 64 && exec ") + LEAKSCOPE_TARGET_TORTURE_NEAR_LIMIT_FDS});
}

TEST_CASE("a shell under ulimit -n 64 can redirect into fds 3 and 4", "[torture]") {
    std::string bash = findInPath("bash");
    if (bash.empty()) SKIP_TEST("bash is not installed");
    Scenario scenario;
    scenario.commands = {{bash, "-c",
                          "ulimit -n 64; exec bash -c 'exec 3>x3 && echo hello >&3 && echo wrote-fd3; "
                          "exec 4</dev/null && echo opened-fd4; cat x3'"}};
    TemporaryDirectory root;
    ComparedRuns runs = runBothWays(root.path(), scenario);
    requireSameBehaviour(runs, /*compare_stderr=*/true);
    CHECK(runs.traced.out == "wrote-fd3\nopened-fd4\nhello\n");
}
