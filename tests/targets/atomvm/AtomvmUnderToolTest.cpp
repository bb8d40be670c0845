// atomvm_port under the real leakscope, against the upstream signatures of the pre-fix AtomVM (v0.6.5):
// (a) a non-trapping parent keeps one link record per spawn_linked worker that exited normally, made by
//     context_link called from do_spawn; (b) a long-lived server keeps one monitor record per client that
//     monitored it and died, made by context_monitor called from nif_erlang_monitor. One struct Monitor
//     (32 bytes) per dead peer per cycle, nothing of the runtime live at exit. A parent that traps exits
//     has its link records removed even before the fix. The fixed variant (v0.6.6) is clean.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../common/CallChain.h"
#include "ToolRun.h"
#include "monitor.h"

using namespace leakscope::testing;
using leakscope::target_tests::describeStack;
using leakscope::target_tests::stackHasCallChain;

namespace {

const std::string kProgram = LEAKSCOPE_TARGET_ATOMVM_PORT;
constexpr int kCycles = 10;
constexpr int kWorkers = 4;

// upstream struct Monitor: ListHead 16 + ref_ticks 8 + monitor_obj 8.
constexpr int64_t kRecordBytes = 32;
static_assert(sizeof(struct Monitor) == kRecordBytes, "the record layout changed: restate the bytes");

// The upstream call chains that create the records the buggy runtime leaves behind (innermost first;
// malloc itself is trimmed as an interposer frame).
const std::vector<std::string> kLinkChain = {"context_link", "do_spawn", "nif_erlang_spawn_opt"};
const std::vector<std::string> kMonitorChain = {"context_monitor", "nif_erlang_monitor", "client_body"};

// Names that exist only after the fix (PR 1555): they must never appear in the buggy variant's stacks.
const std::vector<std::string> kPostFixNames = {"monitor_link_new", "monitor_new", "context_add_monitor"};

// Every function of the runtime that allocates, directly or through a callee: none of them may appear in
// an exit_leak, because shutdown frees everything the runtime made.
const std::vector<std::string> kRuntimeFunctions = {
    "context_new",  "context_link", "context_monitor", "monitor_link_new", "monitor_new",
    "mailbox_send", "context_send", "nif_erlang_spawn_opt", "globalcontext_new", "scheduler_run",
};

// Functions of the port's own module (the executable) in a finding's stack, innermost first.
std::vector<std::string> portFrames(const nlohmann::json& finding) {
    std::vector<std::string> functions;
    for (const auto& frame : finding["stack"])
        if (frame.value("module", "") == "atomvm_port") functions.push_back(frame.value("function", ""));
    return functions;
}

// What an exit snapshot may hold that is not the port's: glibc's stdout buffer (main -> printf, once per
// process, never freed by glibc by design), and anything with no frame in the port at all (allocations
// the loader and C runtime make for themselves before main).
bool isRuntimeNoise(const nlohmann::json& leak) {
    std::vector<std::string> port = portFrames(leak);
    if (port.empty()) return true;
    return port == std::vector<std::string>{"main", "_start"} && leak.value("count", 0) == 1 &&
           (stackHasFunction(leak, "printf") || stackHasFunction(leak, "puts"));
}

void checkExitClean(const nlohmann::json& report) {
    for (const auto& leak : findingsOfType(report, "exit_leak")) {
        INFO("exit_leak: " << describeStack(leak));
        CHECK(isRuntimeNoise(leak));
        for (const auto& function : kRuntimeFunctions) CHECK_FALSE(stackHasFunction(leak, function));
    }
}

ToolRun runPort(const TemporaryDirectory& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kProgram, "--cycles", std::to_string(kCycles), "--workers",
                                     std::to_string(kWorkers)};
    argv.insert(argv.end(), args.begin(), args.end());
    ToolRun run = runUnderTool(dir.path(), argv);
    INFO("stdout:\n" << run.process.out << "\nstderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    CHECK(run.process.out.find("records alive after shutdown: 0") != std::string::npos);
    return run;
}

std::string describeGrowth(const std::vector<nlohmann::json>& growth) {
    std::string text;
    for (const auto& finding : growth)
        text += std::to_string(finding.value("count_per_cycle", 0)) + " x " +
                std::to_string(finding.value("bytes_per_cycle", 0)) + " B per cycle: " + describeStack(finding) +
                "\n";
    return text;
}

// The one growth finding through `chain`, checked to be K records of 32 bytes per cycle.
void checkRecordGrowth(const std::vector<nlohmann::json>& growth, const std::vector<std::string>& chain) {
    auto found = std::find_if(growth.begin(), growth.end(),
                              [&](const nlohmann::json& finding) { return stackHasCallChain(finding, chain); });
    INFO("expected chain starting at " << chain.front());
    REQUIRE(found != growth.end());
    CHECK(found->value("resource", "") == "memory");
    CHECK(found->value("count_per_cycle", 0) == kWorkers);
    CHECK(found->value("bytes_per_cycle", 0) == kWorkers * kRecordBytes);
    CHECK(topFunction(*found) == chain.front());
}

void checkPreFixNamesOnly(const std::vector<nlohmann::json>& growth) {
    for (const auto& finding : growth)
        for (const auto& name : kPostFixNames) CHECK_FALSE(stackHasFunction(finding, name));
}

void checkGateFails(const ToolRun& run, int expected_exit) {
    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check stdout:\n" << check.out << "stderr:\n" << check.err);
    CHECK(check.exit_code == expected_exit);
}

}  // namespace

TEST_CASE("atomvm_port runs every workload without the tool and rejects bad flags with exit 2",
          "[atomvm][integration]") {
    for (const std::string variant : {"buggy", "fixed"}) {
        for (const std::string workload : {"links", "monitors", "both"}) {
            ProcessResult result =
                runProcess({kProgram, "--cycles", "3", "--workers", "2", "--variant", variant, "--workload", workload});
            INFO(variant << " " << workload << " stderr: " << result.err);
            CHECK(result.exit_code == 0);
            CHECK(result.out.find("records alive after shutdown: 0") != std::string::npos);
        }
    }
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--variant", "broken"}, {"--cycles", "0"}, {"--workers", "x"}, {"--workload", "neither"},
             {"--cycles"}, {"--what", "1"}}) {
        std::vector<std::string> argv = {kProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("atomvm_port buggy, links: K link records per cycle on the parent, from context_link <- do_spawn",
          "[atomvm][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, {"--variant", "buggy", "--workload", "links"});
    auto growth = findingsOfType(run.report, "growth");
    INFO("growth:\n" << describeGrowth(growth));
    REQUIRE(growth.size() == 1);  // nothing else grows: messages and contexts are freed
    checkRecordGrowth(growth, kLinkChain);
    checkPreFixNamesOnly(growth);
    CHECK(run.process.out.find("records after the last batch: parent 40, server 0") != std::string::npos);
    checkExitClean(run.report);
    checkGateFails(run, 1);
}

TEST_CASE("atomvm_port buggy, monitors: K monitor records per cycle on the server, from context_monitor <- "
          "nif_erlang_monitor",
          "[atomvm][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, {"--variant", "buggy", "--workload", "monitors"});
    auto growth = findingsOfType(run.report, "growth");
    INFO("growth:\n" << describeGrowth(growth));
    REQUIRE(growth.size() == 1);
    checkRecordGrowth(growth, kMonitorChain);
    checkPreFixNamesOnly(growth);
    // The record sits on the monitored server; the dead clients held nothing.
    CHECK(run.process.out.find("records after the last batch: parent 0, server 40") != std::string::npos);
    checkExitClean(run.report);
    checkGateFails(run, 1);
}

TEST_CASE("atomvm_port buggy, both workloads: exactly the two upstream growths", "[atomvm][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, {"--variant", "buggy", "--workload", "both"});
    auto growth = findingsOfType(run.report, "growth");
    INFO("growth:\n" << describeGrowth(growth));
    REQUIRE(growth.size() == 2);
    checkRecordGrowth(growth, kLinkChain);
    checkRecordGrowth(growth, kMonitorChain);
    checkExitClean(run.report);
}

TEST_CASE("atomvm_port buggy with a trapping parent: the link records are removed, no growth",
          "[atomvm][integration][tool]") {
    // Before the fix the dying worker removed the peer's half link only when the peer trapped exits:
    // that case was never leaky, and the port must show it clean too.
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, {"--variant", "buggy", "--workload", "links", "--trap-exit"});
    auto growth = findingsOfType(run.report, "growth");
    INFO("growth:\n" << describeGrowth(growth));
    CHECK(growth.empty());
    CHECK(run.process.out.find("EXIT messages 40") != std::string::npos);  // one {'EXIT', W, normal} per worker
    CHECK(run.process.out.find("records after the last batch: parent 0, server 0") != std::string::npos);
    checkExitClean(run.report);
    checkGateFails(run, 0);
}

TEST_CASE("atomvm_port fixed: no growth in any workload, and leakscope check passes", "[atomvm][integration][tool]") {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"--workload", "both"}, {"--workload", "links", "--trap-exit"}}) {
        TemporaryDirectory dir;
        std::vector<std::string> argv = {"--variant", "fixed"};
        argv.insert(argv.end(), args.begin(), args.end());
        ToolRun run = runPort(dir, argv);
        auto growth = findingsOfType(run.report, "growth");
        INFO("args: " << args.back() << "\ngrowth:\n" << describeGrowth(growth));
        CHECK(growth.empty());
        CHECK(run.process.out.find("records after the last batch: parent 0, server 0") != std::string::npos);
        checkExitClean(run.report);
        checkGateFails(run, 0);
    }
}
