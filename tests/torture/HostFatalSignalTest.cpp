// Issue 16, kind 12: a program that dies of a signal dies exactly as without the tool (same status,
// same output) and leaves a final `crash` snapshot; a program's own handler keeps priority.
#include <catch2/catch.hpp>
#include <string>

#include "ProcessRunner.h"
#include "ToolRun.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;

namespace {

// Runs the program both ways with `how`; returns the triggers of the traced run's snapshots.
std::vector<std::string> requireSameDeath(const std::string& how) {
    std::vector<std::string> program = {LEAKSCOPE_TARGET_HOST_FATAL_SIGNAL, how};
    ProcessResult plain = leakscope::testing::runProcess(program);
    TemporaryDirectory root;
    ProcessResult traced = leakscope::testing::runWithPreload(root.path(), program);
    INFO(how << ": plain exit " << plain.exit_code << ", traced exit " << traced.exit_code << "\ntraced stderr: "
             << traced.err);
    CHECK(traced.exit_code == plain.exit_code);
    CHECK(traced.out == plain.out);
    CHECK(traced.err == plain.err);
    std::vector<std::string> triggers;
    for (const std::string& file : leakscope::testing::listSnapshots(root.path()))
        triggers.push_back(leakscope::testing::showSnapshot(file).value("trigger", ""));
    return triggers;
}

}  // namespace

TEST_CASE("death by a signal: same status and output, and a crash snapshot", "[torture]") {
    for (const std::string how : {"segv", "abort", "term", "bus"}) {
        auto triggers = requireSameDeath(how);
        INFO(how);
        CHECK(triggers == std::vector<std::string>{"crash"});
    }
}

TEST_CASE("a program's own handler for a fatal signal keeps priority", "[torture]") {
    // The handler prints and _exits 3: an exit snapshot, no crash snapshot.
    CHECK(requireSameDeath("own-handler") == std::vector<std::string>{"exit"});
}
