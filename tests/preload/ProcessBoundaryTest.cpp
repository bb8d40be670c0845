// fork, exec, _exit and ordinary programs under the preload.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "PreloadTestSupport.h"

using namespace leakscope::testing;

namespace {

// pid -> snapshot documents of that pid, in file (= time) order.
std::map<uint64_t, std::vector<nlohmann::json>> snapshotsByPid(const std::string& dir) {
    std::map<uint64_t, std::vector<nlohmann::json>> by_pid;
    for (const auto& file : listSnapshots(dir)) {
        nlohmann::json shown = showSnapshot(file);
        by_pid[shown.at("pid").get<uint64_t>()].push_back(shown);
    }
    return by_pid;
}

}  // namespace

TEST_CASE("fork + exec of a second tracked program: each process writes its own snapshots") {
    TemporaryDirectory dir;
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_FORK_EXEC});
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "exec-child: preload active\nparent: exec child 0, fork child 0\n");
    auto by_pid = snapshotsByPid(dir.path());
    REQUIRE(by_pid.size() == 3);
    std::set<std::string> labels_seen;
    for (const auto& [pid, snapshots] : by_pid) {
        INFO("pid " << pid);
        // Each process numbers its own snapshots from 0 and ends with exactly one exit snapshot.
        for (size_t i = 0; i < snapshots.size(); ++i) CHECK(snapshots[i].at("snapshot_index") == i);
        REQUIRE(snapshots.size() == 2);
        CHECK(snapshots.back().at("label") == "exit");
        labels_seen.insert(snapshots.front().at("label").get<std::string>());
    }
    CHECK(labels_seen == std::set<std::string>{"parent", "exec-child", "fork-child"});
    for (const auto& [pid, snapshots] : by_pid) {
        const auto& first = snapshots.front();
        std::string label = first.at("label");
        if (label == "exec-child") CHECK(allocationsFrom(first, "exec_child_allocate").size() == 1);
        if (label == "fork-child") {
            // The forked child inherited the parent's live blocks and added its own.
            CHECK(allocationsFrom(first, "fork_child_allocate").size() == 1);
            CHECK(allocationsFrom(first, "parent_allocate").size() == 1);
        }
        if (label == "parent") {
            CHECK(allocationsFrom(first, "parent_allocate").size() == 1);
            CHECK(allocationsFrom(first, "fork_child_allocate").empty());
        }
    }
}

TEST_CASE("LEAKSCOPE_FOLLOW_EXEC=0 takes the preload out of the exec'd program's environment") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.set_env["LEAKSCOPE_FOLLOW_EXEC"] = "0";
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_FORK_EXEC}, options);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "exec-child: preload absent\nparent: exec child 0, fork child 0\n");
    auto by_pid = snapshotsByPid(dir.path());
    CHECK(by_pid.size() == 2);  // the parent and its forked (not exec'd) child
    CHECK(snapshotsLabelled(dir.path(), "exec-child").empty());
}

TEST_CASE("_exit writes the exit snapshot once, and the exit status is kept") {
    TemporaryDirectory dir;
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_LIFECYCLE_TRIGGERS, "underscore-exit"});
    INFO(run.err);
    CHECK(run.exit_code == 3);
    CHECK(run.out == "calling _exit(3)\n");
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    nlohmann::json shown = showSnapshot(exits[0]);
    CHECK(shown.at("trigger") == "exit");
    REQUIRE(allocationsFrom(shown, "trigger_keep_block").size() == 1);
    CHECK(allocationsFrom(shown, "trigger_keep_block")[0].at("size") == 99);
}

TEST_CASE("ordinary programs run under the preload with unchanged output") {
    const std::vector<std::vector<std::string>> programs = {
        {"bash", "-c", "for i in 3 1 2; do echo line$i; done | sort; (echo sub; exit 4); echo status=$?"},
        {"python3", "-c", "import json, threading; t = threading.Thread(target=print, args=('thread',)); "
                          "t.start(); t.join(); print(json.dumps({'a': [1, 2]}))"},
        // The tool's settings are not in the program's environment (issue 16: as in a plain run).
        {"sh", "-c", "ls / | sort | head -3; env | grep -c ^LEAKSCOPE_"},
        // The fd numbers a program gets are its own: the tracker's pipe (libunwind's) is out of the way.
        {"python3", "-c", "import os; print([os.open('/dev/null', os.O_RDONLY) for _ in range(3)])"},
    };
    for (const auto& program : programs) {
        TemporaryDirectory dir;
        ProcessResult plain = runProcess(program);
        ProcessResult tracked = runWithPreload(dir.path(), program);
        INFO(program[0] << ": " << tracked.err);
        CHECK(tracked.exit_code == plain.exit_code);
        CHECK(tracked.out == plain.out);
        CHECK(diagnosticLines(tracked.err).empty());
        CHECK_FALSE(snapshotsLabelled(dir.path(), "exit").empty());
    }
}
