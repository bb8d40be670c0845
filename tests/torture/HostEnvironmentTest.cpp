// Issue 16, kind 10: the program's view of its environment is what it is without the tool, while every
// child it starts (execve and posix_spawn with an explicit environment, popen, system after clearenv)
// is still followed. The program prints its own LD_PRELOAD/LEAKSCOPE_* view and what each child (`env`)
// saw; the traced output must equal the plain one, and the children must have written snapshots.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "ProcessRunner.h"
#include "ToolRun.h"
#include "TortureRun.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;

TEST_CASE("the environment the program and its explicit-environment children see is a plain run's", "[torture]") {
    std::string env = leakscope::torture::findInPath("env");
    if (env.empty() || leakscope::torture::findInPath("sh").empty()) {
        WARN("env or sh is not installed: skipped");
        return;
    }
    std::vector<std::string> program = {LEAKSCOPE_TARGET_HOST_ENVIRONMENT, env};
    ProcessResult plain = leakscope::testing::runProcess(program);
    TemporaryDirectory root;
    std::string dir = root.path() + "/snapshots";
    ProcessResult traced = leakscope::testing::runWithPreload(dir, program);
    INFO("plain:\n" << plain.out << "\ntraced:\n" << traced.out << "\ntraced stderr:\n" << traced.err);
    REQUIRE(plain.exit_code == 0);
    CHECK(traced.exit_code == 0);
    CHECK(traced.out == plain.out);
    CHECK(traced.out.find("LEAKSCOPE_") == std::string::npos);
    // Followed: the program, the execve'd and spawned env, popen's sh and its env/grep/sort, system's
    // sh and its pipeline each wrote an exit snapshot.
    leakscope::torture::requireValidSnapshots(dir, 8);
}
