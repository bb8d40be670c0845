// atomvm_port under the real leakscope: the buggy termination path must show as two per-cycle growths
// (link records and monitor records stuck on the parent) of exactly K records of sizeof(struct Monitor)
// each, with nothing of the runtime live at exit; the fixed path must be clean and pass `leakscope check`.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ToolRun.h"
#include "monitor.h"

using namespace leakscope::testing;

namespace {

const std::string kProgram = LEAKSCOPE_TARGET_ATOMVM_PORT;
constexpr int kCycles = 10;

// Every function of the runtime that allocates, directly or through a callee: none of them may appear in
// an exit_leak, because shutdown frees everything the runtime made.
const std::vector<std::string> kRuntimeFunctions = {
    "context_new",  "monitor_link_new", "monitor_new",  "mailbox_send",      "context_send",
    "erlang_spawn", "erlang_spawn_link", "erlang_monitor", "globalcontext_new", "scheduler_run",
};

ToolRun runPort(const TemporaryDirectory& dir, const std::string& variant, int workers) {
    ToolRun run = runUnderTool(dir.path(), {kProgram, "--cycles", std::to_string(kCycles), "--workers",
                                            std::to_string(workers), "--variant", variant});
    INFO("stdout:\n" << run.process.out << "\nstderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    return run;
}

const nlohmann::json* growthThrough(const std::vector<nlohmann::json>& growth, const std::string& creator) {
    auto found = std::find_if(growth.begin(), growth.end(),
                              [&](const nlohmann::json& finding) { return stackHasFunction(finding, creator); });
    return found == growth.end() ? nullptr : &*found;
}

}  // namespace

TEST_CASE("atomvm_port runs both variants without the tool and rejects bad flags with exit 2",
          "[atomvm][integration]") {
    for (const std::string variant : {"buggy", "fixed"}) {
        ProcessResult result = runProcess({kProgram, "--cycles", "3", "--workers", "2", "--variant", variant});
        INFO(variant << " stderr: " << result.err);
        CHECK(result.exit_code == 0);
        CHECK(result.out.find("records alive after shutdown: 0") != std::string::npos);
    }
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--cycles", "0"}, {"--workers", "many"}, {"--variant", "broken"}, {"--cycles"}, {"--frobnicate", "1"},
             {"stray"}}) {
        std::vector<std::string> argv = {kProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("argv: " << bad.front() << " stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("atomvm_port buggy: K link records and K monitor records per cycle stay on the parent",
          "[atomvm][integration][tool]") {
    const int workers = GENERATE(3, 8);
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, "buggy", workers);
    INFO("workers " << workers << ", summary: " << run.report["summary"].dump());

    auto growth = findingsOfType(run.report, "growth");
    CHECK(growth.size() == 2);  // the two kinds of record, nothing else
    const nlohmann::json* links = growthThrough(growth, "monitor_link_new");
    const nlohmann::json* monitors = growthThrough(growth, "monitor_new");
    REQUIRE(links != nullptr);
    REQUIRE(monitors != nullptr);
    CHECK(stackHasFunction(*links, "erlang_spawn_link"));
    CHECK(stackHasFunction(*monitors, "erlang_monitor"));

    // Per cycle the parent keeps one 32-byte struct Monitor per linked worker and one per monitored
    // worker: 2K records, 2K x sizeof(struct Monitor) bytes.
    const int64_t record = static_cast<int64_t>(sizeof(struct Monitor));
    for (const nlohmann::json* finding : {links, monitors}) {
        CHECK(finding->value("resource", "") == "memory");
        CHECK(finding->value("count_per_cycle", 0) == workers);
        CHECK(finding->value("bytes_per_cycle", 0) == workers * record);
        CHECK(finding->value("cycles_grown", -1) == finding->value("cycles_observed", -2));
    }
    CHECK(links->value("bytes_per_cycle", 0) + monitors->value("bytes_per_cycle", 0) == 2 * workers * record);

    // Shutdown freed them: an exit-time checker sees nothing of the runtime.
    for (const auto& leak : findingsOfType(run.report, "exit_leak")) {
        for (const auto& function : kRuntimeFunctions) {
            INFO("exit_leak at " << topFunction(leak));
            CHECK_FALSE(stackHasFunction(leak, function));
        }
    }
}

TEST_CASE("atomvm_port fixed: no growth, and leakscope check passes", "[atomvm][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, "fixed", 4);
    INFO("summary: " << run.report["summary"].dump());
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(run.snapshots().size() == kCycles + 1);  // one per batch, and the exit snapshot

    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check output:\n" << check.out << check.err);
    CHECK(check.exit_code == 0);
}
