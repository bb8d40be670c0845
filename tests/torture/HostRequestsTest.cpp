// Issue 16, kinds 6-8: a snapshot request never disturbs the program (no EINTR, works before the first
// snapshot), the tool's thread never makes unshare(CLONE_NEWUSER) fail, and a seccomp-filtered program
// is not killed by the tool's system calls (its last snapshot is the `sandbox` one).
#include <catch2/catch.hpp>
#include <string>

#include "ProcessRunner.h"
#include "ToolRun.h"

using leakscope::testing::ProcessOptions;
using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;

namespace {

std::vector<std::string> triggersIn(const std::string& dir) {
    std::vector<std::string> triggers;
    for (const std::string& file : leakscope::testing::listSnapshots(dir))
        triggers.push_back(leakscope::testing::showSnapshot(file).value("trigger", ""));
    return triggers;
}

}  // namespace

TEST_CASE("leakscope snap does not interrupt a program waiting in poll, before its first snapshot", "[torture]") {
    TemporaryDirectory root;
    std::string dir = root.path() + "/snapshots";  // does not exist until the request
    // The program waits in poll(); once it is ready, `leakscope snap` asks for a snapshot.
    std::string script = "rm -f ready; \"$0\" ready & pid=$!; while [ ! -e ready ]; do sleep 0.01; done; "
                         "\"$1\" snap $pid requested > snap.out; echo snap=$?; wait $pid; echo program=$?";
    ProcessOptions options;
    options.working_directory = root.path();
    options.timeout = std::chrono::seconds(60);
    for (int run = 0; run < 5; ++run) {
        std::string run_dir = dir + std::to_string(run);
        ProcessResult traced = leakscope::testing::runWithPreload(
            run_dir, {"sh", "-c", script, LEAKSCOPE_TARGET_HOST_POLL_WAITER, leakscope::testing::analyzerPath()},
            options);
        INFO("run " << run << "\nstdout: " << traced.out << "\nstderr: " << traced.err);
        // snap returns while the program still waits (its output comes at its exit).
        CHECK(traced.out == "snap=0\nwaited, ok\nprogram=0\n");
        size_t requested = 0;
        for (const std::string& file : leakscope::testing::listSnapshots(run_dir))
            if (leakscope::testing::showSnapshot(file).value("label", "") == "requested") ++requested;
        CHECK(requested == 1);
    }
}

TEST_CASE("with interval snapshots, unshare(CLONE_NEWUSER) behaves as in a plain run", "[torture]") {
    std::vector<std::string> program = {LEAKSCOPE_TARGET_HOST_NEW_USER_NAMESPACE};
    ProcessResult plain = leakscope::testing::runProcess(program);
    TemporaryDirectory root;
    ProcessOptions options;
    options.set_env["LEAKSCOPE_INTERVAL_MS"] = "5";
    for (int run = 0; run < 10; ++run) {
        ProcessResult traced =
            leakscope::testing::runWithPreload(root.path() + "/run" + std::to_string(run), program, options);
        INFO("run " << run << "\nplain:\n" << plain.out << "traced:\n" << traced.out << "stderr: " << traced.err);
        CHECK(traced.exit_code == plain.exit_code);
        CHECK(traced.out == plain.out);
    }
    if (plain.out.find("unshare: ok") == std::string::npos)
        WARN("user namespaces are not available here: only the failure was compared\n" << plain.out);
}

TEST_CASE("a seccomp-filtered program exits as without the tool and leaves its sandbox snapshot", "[torture]") {
    for (const std::string mode : {"kill", "errno"}) {
        std::vector<std::string> program = {LEAKSCOPE_TARGET_HOST_SECCOMP_EXIT, mode};
        ProcessResult plain = leakscope::testing::runProcess(program);
        TemporaryDirectory root;
        ProcessResult traced = leakscope::testing::runWithPreload(root.path(), program);
        INFO(mode << ": plain exit " << plain.exit_code << ", traced exit " << traced.exit_code << "\nstdout: "
                  << traced.out << "\nstderr: " << traced.err);
        REQUIRE(plain.exit_code == 0);
        CHECK(traced.exit_code == 0);
        CHECK(traced.out == plain.out);
        CHECK(traced.err == plain.err);
        CHECK(triggersIn(root.path()) == std::vector<std::string>{"sandbox"});
    }
}

// Kind 8, the filter already in force at start (a launcher installed it and exec'd the program, as
// systemd's SystemCallFilter= does): the program's preload sees it in /proc/self/status and makes
// none of the calls the filter kills on (no tool thread, no handlers, no snapshot). What the report
// has is the launcher's `sandbox` snapshot, written before its filter went in.
TEST_CASE("a program started under an inherited seccomp filter behaves as without the tool", "[torture]") {
    std::vector<std::string> program = {LEAKSCOPE_TARGET_HOST_SECCOMP_EXIT, "inherit"};
    ProcessResult plain = leakscope::testing::runProcess(program);
    TemporaryDirectory root;
    ProcessResult traced = leakscope::testing::runWithPreload(root.path(), program);
    INFO("plain exit " << plain.exit_code << ", traced exit " << traced.exit_code << "\nstdout: " << traced.out
                       << "\nstderr: " << traced.err);
    REQUIRE(plain.exit_code == 0);
    REQUIRE(plain.out.find("work under an inherited filter done") != std::string::npos);
    CHECK(traced.exit_code == 0);
    CHECK(traced.out == plain.out);
    CHECK(traced.err == plain.err);
    CHECK(triggersIn(root.path()) == std::vector<std::string>{"sandbox"});
}
