// Our own stress programs (tests/torture/programs), each aimed at one way a preloaded tracker breaks
// its host: threads, fork, vfork, signals, unloaded code, deep stacks, huge tables, hostile fd handling,
// exceptions. Each must behave exactly as without the tool and leave valid snapshots.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>

#include "ProcessRunner.h"
#include "ToolRun.h"
#include "TortureRun.h"
#include "leakscope/SnapshotReader.h"

using leakscope::testing::TemporaryDirectory;
using namespace leakscope::torture;

namespace {

// Runs one program both ways (stdout and stderr compared) and returns the traced run's snapshots.
std::vector<nlohmann::json> runStress(const Scenario& scenario, size_t min_exited_processes = 1) {
    TemporaryDirectory root;
    ComparedRuns runs = runBothWays(root.path(), scenario);
    requireSameBehaviour(runs, /*compare_stderr=*/true);
    return requireValidSnapshots(runs.snapshot_dir, min_exited_processes);
}

Scenario single(Command command) {
    Scenario scenario;
    scenario.commands = {std::move(command)};
    scenario.options.timeout = std::chrono::seconds(180);  // a hang is a failure, not a stuck suite
    return scenario;
}

uint64_t counter(const nlohmann::json& snapshot, const char* name) {
    INFO("counter " << name << " in " << snapshot["counters"].dump());
    REQUIRE(snapshot["counters"].contains(name));
    return snapshot["counters"][name].get<uint64_t>();
}

}  // namespace

TEST_CASE("16 threads freeing each other's allocations", "[torture]") {
    auto snapshots = runStress(single({LEAKSCOPE_TARGET_TORTURE_CROSS_THREAD_FREE}));
    auto exits = withLabel(snapshots, "exit");
    REQUIRE(exits.size() == 1);
    // Every block was freed by another thread: all of them must count as frees, none as a bad free.
    CHECK(counter(exits[0], "frees") >= 16u * 20000u);
    CHECK(counter(exits[0], "bad_frees") == 0);
}

TEST_CASE("fork from a multi-threaded program: every child allocates and exits cleanly", "[torture]") {
    auto snapshots = runStress(single({LEAKSCOPE_TARGET_TORTURE_FORK_FROM_THREADS}), /*parent + 20 children*/ 21);
    CHECK(withLabel(snapshots, "exit").size() == 21);
}

TEST_CASE("posix_spawn, posix_spawnp and vfork+exec children", "[torture]") {
    // The parent plus 5 posix_spawn'ed and 5 vfork+exec'ed copies of itself, and 5 `true` processes.
    runStress(single({LEAKSCOPE_TARGET_TORTURE_SPAWN_CHILDREN}), 11);
}

TEST_CASE("timer signals landing in malloc with an async-signal-safe handler", "[torture]") {
    runStress(single({LEAKSCOPE_TARGET_TORTURE_SIGNALS_IN_MALLOC, "safe"}));
}

TEST_CASE("timer signals landing in malloc with a handler that itself allocates", "[torture]") {
    runStress(single({LEAKSCOPE_TARGET_TORTURE_SIGNALS_IN_MALLOC, "malloc"}));
}

TEST_CASE("allocations from a dlclose'd library still symbolize", "[torture]") {
    TemporaryDirectory root;
    ComparedRuns runs = runBothWays(root.path(), single({LEAKSCOPE_TARGET_TORTURE_DLOPEN_UNLOAD,
                                                         LEAKSCOPE_TARGET_TORTURE_ALLOCATING_PLUGIN}));
    requireSameBehaviour(runs, true);
    auto exits = withLabel(requireValidSnapshots(runs.snapshot_dir), "exit");
    REQUIRE(exits.size() == 1);

    // The module map keeps the plugin after it was unloaded (three times: three entries or one).
    bool plugin_recorded_unloaded = false;
    for (const auto& module : exits[0]["modules"])
        if (module.value("path", "").find("allocating_plugin") != std::string::npos &&
            module.value("unloaded_sequence", 0ull) != 0)
            plugin_recorded_unloaded = true;
    CHECK(plugin_recorded_unloaded);

    // And the report names the plugin's function as where the 150 records still live at exit came from.
    auto report = leakscope::testing::runAnalyzer({"report", runs.snapshot_dir, "--format", "json"});
    INFO("leakscope report stderr: " << report.err);
    REQUIRE(report.exit_code == 0);
    auto parsed = nlohmann::json::parse(report.out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    uint64_t plugin_blocks = 0;
    for (const auto& finding : leakscope::testing::findingsOfType(parsed, "exit_leak"))
        if (leakscope::testing::topFunction(finding) == "plugin_build_records") plugin_blocks += finding.value("count", 0ull);
    CHECK(plugin_blocks == 150);
}

TEST_CASE("malloc at the bottom of a 10,000-frame recursion respects the depth cap", "[torture]") {
    for (int depth : {32, 256}) {
        Scenario scenario = single({LEAKSCOPE_TARGET_TORTURE_DEEP_RECURSION});
        scenario.options.set_env["LEAKSCOPE_DEPTH"] = std::to_string(depth);
        auto exits = withLabel(runStress(scenario), "exit");
        REQUIRE(exits.size() == 1);
        INFO("LEAKSCOPE_DEPTH=" << depth);
        for (const auto& stack : exits[0]["stacks"]) CHECK(stack["frames"].size() <= static_cast<size_t>(depth));
        // The 4 KiB block at the bottom is 10,000 frames deep: its stack is filled to the cap and marked
        // truncated (a capture that gave up early, or walked on past the cap, fails here). stdout's
        // buffer is 4 KiB too, with a short stack, so the blocks are told apart by their stacks.
        size_t deep_blocks = 0;
        for (const auto& allocation : exits[0]["allocations"]) {
            if (allocation.value("size", 0ull) != 4096) continue;
            for (const auto& stack : exits[0]["stacks"])
                if (stack.value("id", 0ull) == allocation.value("stack_id", 0ull) &&
                    stack["frames"].size() == static_cast<size_t>(depth) && stack.value("truncated", false))
                    ++deep_blocks;
        }
        CHECK(deep_blocks == 1);
    }
}

TEST_CASE("10 million live allocations: memory bounded, snapshot written", "[torture]") {
    TemporaryDirectory root;
    Scenario scenario = single({LEAKSCOPE_TARGET_TORTURE_TEN_MILLION_LIVE});
    scenario.options.timeout = std::chrono::seconds(600);
    scenario.options.set_env["TORTURE_RSS_FILE"] = root.path() + "/plain-rss";
    // Two runs by hand: the peak-RSS file name differs between them.
    auto plain = leakscope::testing::runProcess(scenario.commands[0], scenario.options);
    scenario.options.set_env["TORTURE_RSS_FILE"] = root.path() + "/traced-rss";
    auto traced = leakscope::testing::runWithPreload(root.path() + "/snapshots", scenario.commands[0], scenario.options);
    INFO("traced stderr: " << traced.err);
    REQUIRE_FALSE(traced.timed_out);
    CHECK(traced.exit_code == plain.exit_code);
    CHECK(traced.out == plain.out);

    long plain_kib = std::atol(leakscope::testing::readFile(root.path() + "/plain-rss").c_str());
    long traced_kib = std::atol(leakscope::testing::readFile(root.path() + "/traced-rss").c_str());
    INFO("peak RSS without the tool " << plain_kib << " KiB, with it " << traced_kib << " KiB");
    // Bounded: the tracker may spend at most 100 bytes per live allocation on top of the program.
    CHECK(traced_kib - plain_kib < 10'000'000L * 100 / 1024);

    // `leakscope show` would print ~1 GB of JSON here; the reader itself validates the big snapshot.
    bool found_big_snapshot = false;
    for (const std::string& file : leakscope::testing::listSnapshots(root.path() + "/snapshots")) {
        auto snapshot = leakscope::snapshot::readSnapshotFile(file);
        INFO(file << ": " << snapshot.status().ToString());
        REQUIRE(snapshot.ok());
        if (snapshot->label == "ten-million") {
            found_big_snapshot = true;
            CHECK(snapshot->allocations.size() >= 10'000'000u);
        }
    }
    CHECK(found_big_snapshot);
}

TEST_CASE("a daemon that closes every fd and dup2s over stderr still writes snapshots", "[torture]") {
    Scenario scenario = single({LEAKSCOPE_TARGET_TORTURE_CLOSING_DAEMON, "daemon.log"});
    auto snapshots = runStress(scenario, /*parent and daemon*/ 2);
    std::set<uint64_t> pids;
    size_t kept_blocks = 0;  // the daemon's 512-byte block, live at its exit
    for (const auto& snapshot : withLabel(snapshots, "exit")) {
        pids.insert(snapshot.value("pid", 0ull));
        for (const auto& allocation : snapshot["allocations"]) kept_blocks += allocation.value("size", 0ull) == 512;
    }
    CHECK(pids.size() == 2);
    CHECK(kept_blocks >= 1);
}

TEST_CASE("100,000 C++ exceptions thrown and caught", "[torture]") {
    runStress(single({LEAKSCOPE_TARGET_TORTURE_EXCEPTION_STORM}));
}
