// The growth verdict on real programs under the real preload (issue 15, docs/analysis.md): every leak
// shape is found with its per-cycle bytes or handles and its onset, every non-leak shape gates clean,
// and what could not be judged is said, never "clean".
#include <catch2/catch.hpp>
#include <filesystem>

#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

const std::string kShapes = LEAKSCOPE_TARGET_VERDICT_SHAPES;

// The growth findings whose stack has `function`.
std::vector<json> growthIn(const ToolRun& run, const std::string& function) {
    std::vector<json> found;
    for (const auto& finding : findingsOfType(run.report, "growth"))
        if (stackHasFunction(finding, function)) found.push_back(finding);
    return found;
}

// `leakscope run --check -- program...`; the report must exist.
ToolRun checked(const TemporaryDirectory& dir, const std::vector<std::string>& program, std::vector<std::string> args = {}) {
    args.insert(args.begin(), "--check");
    ToolRun run = runUnderTool(dir.path(), program, args);
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.report.is_object());
    return run;
}

// The one growth finding in `function`, from a run that must fail the gate because of it.
json requireLeak(const ToolRun& run, const std::string& function) {
    INFO("report: " << run.report.dump(1));
    CHECK(run.process.exit_code == 1);
    CHECK(run.report["verdict"] == "leak");
    auto found = growthIn(run, function);
    REQUIRE(found.size() == 1);
    CHECK(found[0]["gating"] == true);
    return found[0];
}

}  // namespace

TEST_CASE("a leak on every k-th cycle (k = 2..5) is growth of 256/k B per cycle") {
    for (int k = 2; k <= 5; ++k) {
        INFO("every " << k << " cycles");
        TemporaryDirectory dir;
        auto run = checked(dir, {kShapes, "every_kth", "40", std::to_string(k)});
        json leak = requireLeak(run, "refresh_every_kth");
        CHECK(topFunction(leak) == "refresh_every_kth");
        CHECK(leak["resource"] == "memory");
        CHECK(leak["bytes_per_cycle"].get<double>() == Approx(256.0 / k).epsilon(0.15));
        CHECK(leak["count_per_cycle"].get<double>() == Approx(1.0 / k).epsilon(0.15));
        CHECK(leak["onset_snapshot"].get<int>() <= k);
        CHECK(leak["capacity_doubling"] == false);
    }
}

TEST_CASE("a leak in the last cycles of a run, rising to new highs, is found with its onset") {
    for (int late : {5, 8}) {
        INFO(late << " leaking cycles at the end of 40");
        TemporaryDirectory dir;
        auto run = checked(dir, {kShapes, "late", "40", std::to_string(late)});
        json leak = requireLeak(run, "leak_late");
        CHECK(leak["bytes_per_cycle"] == 128);
        CHECK(leak["count_per_cycle"] == 1);
        CHECK(leak["onset_snapshot"] == 40 - late - 1);  // the last snapshot before the first new high
    }
}

TEST_CASE("+1 block per cycle under a 0..20 band of the same call site is a leak") {
    TemporaryDirectory dir;
    auto run = checked(dir, {kShapes, "noisy_trend", "60"});
    json leak = requireLeak(run, "noisy_alloc");
    CHECK(leak["count_per_cycle"].get<double>() == Approx(1).epsilon(0.3));
    CHECK(leak["bytes_per_cycle"].get<double>() == Approx(64).epsilon(0.3));
}

TEST_CASE("a vector growing by capacity doubling is growth, marked, with the logical rate") {
    TemporaryDirectory dir;
    auto run = checked(dir, {LEAKSCOPE_TARGET_VERDICT_VECTOR_PUSHBACK, "60"});
    json leak = requireLeak(run, "record_sample");
    CHECK(leak["capacity_doubling"] == true);
    CHECK(leak["bytes_per_cycle"].get<double>() == Approx(4).epsilon(0.25));  // one int per cycle
    CHECK(leak["series"]["count"].back() == 1);                                 // one block all along
}

TEST_CASE("a handle leak on every 3rd cycle is handle growth, closed at exit or not") {
    TemporaryDirectory dir;
    auto run = checked(dir, {kShapes, "handles_every_kth", "40", "3"});
    json leak = requireLeak(run, "open_wakeup_every_kth");
    CHECK(leak["resource"] == "handle");
    CHECK(leak["handle_kind"] == "eventfd");
    CHECK(leak["count_per_cycle"].get<double>() == Approx(1.0 / 3).epsilon(0.15));
    CHECK(findingsOfType(run.report, "leaked_handle").empty());  // the program closes them before exit
}

TEST_CASE("bounded and temporary shapes gate clean") {
    for (const char* mode : {"cache_once", "cache_fill", "lru", "pool", "sawtooth", "flush", "thread_per_cycle",
                             "per_thread_buffers", "glibc_state", "other_stack_frees"}) {
        INFO("mode " << mode);
        TemporaryDirectory dir;
        auto run = checked(dir, {kShapes, mode, "40"});
        INFO("report: " << run.report.dump(1));
        CHECK(run.process.exit_code == 0);
        CHECK(run.report["verdict"] == "clean");
        CHECK(findingsOfType(run.report, "growth").empty());
        CHECK(run.report["not_judged"].empty());
    }
}

// Shared case 24's kind: a 64-slot ring of 16..527 B blocks (programs/ring.c) whose snapshots fall on the
// rising part of its sizes. Its bytes rise while its block count stays 64: never a leak. Seeds 1, 17, 18
// and 19 of the k-th-iteration runs failed the gate as growth before bytes alone at a constant count of
// several blocks stopped counting as evidence (docs/analysis.md, "Blocks replaced, not kept"); the
// timer runs are case 24 itself, with the loop advancing as far as the scheduler lets it.
TEST_CASE("a bounded ring whose block sizes vary gates clean wherever its snapshots fall, its leaky twin always gates") {
    const std::string ring = LEAKSCOPE_TARGET_VERDICT_RING;
    int said_replaced = 0;
    auto bounded = [&](const std::string& snapshots_by, int seed) {
        INFO(snapshots_by << " seed " << seed);
        TemporaryDirectory dir;
        auto run = checked(dir, {ring, "bounded", snapshots_by, "20", std::to_string(seed)});
        INFO("report: " << run.report.dump(1));
        CHECK(run.process.exit_code == 0);
        CHECK(run.report["verdict"] == "clean");
        CHECK(findingsOfType(run.report, "growth").empty());
        // What was not judged is the ring's bytes, said as such: replaced by larger blocks, or (a timer run
        // under load gets few cycles in) still rising when the series ended. Either way not a gate failure.
        for (const auto& entry : run.report["not_judged"]) {
            const std::string reason = entry["reason"];
            const bool replaced = reason.find("blocks were only replaced by larger ones") != std::string::npos;
            CHECK((replaced || (snapshots_by == "timer" && reason.find("was still rising") != std::string::npos)));
            CHECK(reason.find("ring_refill") != std::string::npos);
            said_replaced += replaced;
        }
    };
    for (int seed = 1; seed <= 20; ++seed) bounded("kth", seed);
    CHECK(said_replaced >= 4);  // the runs whose bytes passed the trend tests
    for (int seed = 1; seed <= 10; ++seed) bounded("timer", seed);
}

// The same kind with a pool that fills up first: F slots a cycle until 64, then refills only. The count
// levels off while the bytes go on setting new highs from the sizes; judged as growth before the count was
// taken from where its own rise ended (a new user's 64-slot ring filled 6 a cycle failed the gate on every
// run). With the rule before that, 3 of these 20 seeds gated.
TEST_CASE("a ring that fills up over its first cycles and then only refills gates clean in every run") {
    const std::string ring = LEAKSCOPE_TARGET_VERDICT_RING;
    for (int seed = 1; seed <= 20; ++seed) {
        INFO("filling seed " << seed);
        TemporaryDirectory dir;
        auto run = checked(dir, {ring, "filling", "kth", "20", std::to_string(seed)});
        INFO("report: " << run.report.dump(1));
        CHECK(run.process.exit_code == 0);
        CHECK(run.report["verdict"] == "clean");
        CHECK(findingsOfType(run.report, "growth").empty());
    }

    for (int seed = 1; seed <= 20; ++seed) {
        INFO("leaky seed " << seed);
        TemporaryDirectory dir;
        auto run = checked(dir, {ring, "leaky", "kth", "20", std::to_string(seed)});
        json leak = requireLeak(run, "ring_refill");
        CHECK(leak["count_per_cycle"] == 1);
    }
}

TEST_CASE("handles held for the whole life of the process are listed but do not gate unless --fail-on leaked_handle") {
    TemporaryDirectory dir;
    auto run = checked(dir, {kShapes, "handle_once", "40"});
    INFO("report: " << run.report.dump(1));
    CHECK(run.process.exit_code == 0);
    CHECK(run.report["verdict"] == "clean");
    auto open_at_exit = findingsOfType(run.report, "leaked_handle");
    CHECK(open_at_exit.size() == 2);
    for (const auto& finding : open_at_exit) {
        CHECK(finding["gating"] == false);
        CHECK(stackHasFunction(finding, "open_once"));
    }
    CHECK(runAnalyzer({"check", run.snapshot_dir}).exit_code == 0);
    CHECK(runAnalyzer({"check", run.snapshot_dir, "--fail-on", "leaked_handle"}).exit_code == 1);
}

TEST_CASE("a plugin reloaded at a new address every cycle is one call path: its 64 B per cycle are found") {
    TemporaryDirectory dir;
    std::string plugin = std::filesystem::absolute(LEAKSCOPE_TARGET_VERDICT_PLUGIN).string();
    auto run = checked(dir, {LEAKSCOPE_TARGET_VERDICT_PLUGIN_HOST, plugin, "12"});
    INFO("program output: " << run.process.out);
    json leak = requireLeak(run, "plugin_make_record");
    CHECK(leak["bytes_per_cycle"] == 64);
    CHECK(leak["count_per_cycle"] == 1);
    CHECK(leak["sites"].get<int>() >= 1);
}

TEST_CASE("an exec keeps the pid but is another process: the first image's leak is its own") {
    for (int cycles : {5, 8}) {
        INFO(cycles << " cycles per image");
        TemporaryDirectory dir;
        auto run = checked(dir, {LEAKSCOPE_TARGET_VERDICT_EXEC_SAME_PID, std::to_string(cycles)});
        json leak = requireLeak(run, "leak_in_first_image");
        CHECK(leak["bytes_per_cycle"] == 1000);
        const auto& processes = run.report["processes"];
        REQUIRE(processes.size() == 2);
        CHECK(processes[0]["pid"] == processes[1]["pid"]);
        CHECK(processes[0]["start_ns"] != processes[1]["start_ns"]);
        CHECK(processes[0]["labels"]["cycle"] == cycles);
        CHECK(processes[1]["labels"]["cycle"] == cycles);
        CHECK(leak["start_ns"] == processes[0]["start_ns"]);  // the first image (started first)
        // The second image allocates nothing: said as what was seen, never as if the tool had failed.
        bool second_said = false;
        for (const auto& entry : run.report["not_judged"]) {
            const std::string reason = entry.value("reason", "");
            CHECK(reason.find("not tracked") == std::string::npos);
            if (entry["start_ns"] == processes[1]["start_ns"])
                second_said = reason.starts_with("no allocation or handle seen: nothing to judge");
        }
        CHECK(second_said);
    }
}

TEST_CASE("a series too short or no lifecycle snapshot is not judged and never clean while exit-time checks still run") {
    TemporaryDirectory dir;
    auto run = checked(dir, {kShapes, "handle_once", "3"});
    INFO("report: " << run.report.dump(1));
    CHECK(run.report["verdict"] == "not judged");
    CHECK(run.process.exit_code == 0);  // not judged is said, not failed: the exit-time checks passed
    REQUIRE(run.report["not_judged"].size() == 1);
    CHECK(run.report["not_judged"][0]["label"] == "cycle");
    CHECK(run.report["not_judged"][0]["reason"].get<std::string>().find("3 'cycle' snapshot(s)") != std::string::npos);
    CHECK(run.report["not_judged"][0]["pid"] == run.report["processes"][0]["pid"]);
    CHECK(findingsOfType(run.report, "leaked_handle").size() == 2);  // the exit snapshot was still read
    auto text = runAnalyzer({"report", run.snapshot_dir});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("not judged") != std::string::npos);
    CHECK(text.out.find("growth not judged: ") != std::string::npos);
    CHECK(text.out.find("clean") == std::string::npos);
    auto markdown = runAnalyzer({"report", run.snapshot_dir, "--format", "markdown"});
    CHECK(markdown.out.find("growth not judged: ") != std::string::npos);

    TemporaryDirectory none;
    auto no_cycles = checked(none, {kShapes, "handle_once", "0"});
    INFO("report: " << no_cycles.report.dump(1));
    CHECK(no_cycles.report["verdict"] == "not judged");
    bool said = false;
    for (const auto& entry : no_cycles.report["not_judged"])
        said = said || entry["reason"].get<std::string>().find("no lifecycle snapshots") != std::string::npos;
    CHECK(said);
}

TEST_CASE("a label that matches no snapshot is exit 2 with one line naming it and the labels present") {
    TemporaryDirectory dir;
    auto run = checked(dir, {kShapes, "lru", "10"});
    auto wrong = runAnalyzer({"check", run.snapshot_dir, "--label", "cylce"});
    CHECK(wrong.exit_code == 2);
    CHECK(wrong.out.empty());
    CHECK(wrong.err == "leakscope: --label cylce: no snapshot has this label (labels present: cycle, exit)\n");
}
