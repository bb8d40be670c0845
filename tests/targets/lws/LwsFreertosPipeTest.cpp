// lws_freertos_pipe under the real leakscope: the pre-fix close path leaks the bound UDP socket of the
// dummy pipe once per context cycle (upstream's signature: __lws_create_event_pipes ->
// lws_plat_pipe_create -> socket), which exhausts lwIP's socket table; the fixed variant is clean.
#include <catch2/catch.hpp>

#include "../common/CallChain.h"
#include "LwsTestSupport.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using namespace leakscope::lws_tests;
using leakscope::target_tests::describeStack;
using leakscope::target_tests::stackHasCallChain;

namespace {

const std::string kPipeProgram = LEAKSCOPE_TARGET_LWS_FREERTOS_PIPE;
constexpr int kBuggyCycles = 8;    // within the default table of 10 slots, which allows 9
constexpr int kFixedCycles = 400;  // far beyond any table: the fixed variant must never run out
constexpr int kExitContextCreateFailed = 3;  // documented in lws_freertos_pipe_main.c

// The pipe's read end, from the function that creates the event pipes, as upstream names them
// (socket() itself is trimmed as an interposer frame).
const std::vector<std::string> kPipeSocketChain = {"lws_plat_pipe_create", "__lws_create_event_pipes",
                                                   "lws_create_context"};

ToolRun runPipe(const TemporaryDirectory& dir, const std::string& variant, int cycles,
                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {kPipeProgram, "--cycles", std::to_string(cycles), "--variant", variant};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ToolRun run = runUnderTool(dir.path(), argv);
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    return run;
}

}  // namespace

TEST_CASE("lws_freertos_pipe runs both variants without the tool and rejects bad flags", "[lws][freertos_pipe]") {
    for (const std::string variant : {"buggy", "fixed"}) {
        ProcessResult result = runProcess({kPipeProgram, "--cycles", "5", "--variant", variant});
        INFO(variant << " stderr: " << result.err);
        CHECK(result.exit_code == 0);
        CHECK(result.out.find("5 context cycles completed") != std::string::npos);
    }
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--cycles", "5"}, {"--cycles", "5", "--variant", "broken"}, {"--cycles", "-1", "--variant", "fixed"},
             {"--cycles", "5", "--variant", "fixed", "--max-sockets", "1"},
             {"--cycles", "5", "--variant", "fixed", "--max-sockets", "65"}, {"--cycles", "5", "--variant", "fixed", "--port", "54321"}, {"--variant", "fixed", "--what"}}) {
        std::vector<std::string> argv = {kPipeProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("lws_freertos_pipe buggy: one more bound UDP socket per context cycle, from lws_plat_pipe_create",
          "[lws][freertos_pipe][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPipe(dir, "buggy", kBuggyCycles);
    INFO("findings:\n" << describeFindings(run.report));

    auto growth = findingsOfType(run.report, "growth");
    REQUIRE(growth.size() == 1);  // nothing else grows: no memory, no other handle
    const auto& leak = growth[0];
    CHECK(leak.value("resource", "") == "handle");
    CHECK(leak.value("handle_kind", "") == "socket");
    CHECK(leak.value("handle_details", "").find("AF_INET SOCK_DGRAM") != std::string::npos);
    CHECK(leak.value("count_per_cycle", 0) == 1);
    INFO("growth stack: " << describeStack(leak));
    CHECK(topFunction(leak) == "lws_plat_pipe_create");
    CHECK(stackHasCallChain(leak, kPipeSocketChain));
    CHECK(stackHasFunction(leak, "main"));

    // The pipe close skips the invalidated -1 as the original does: no close(-1), so no bad close.
    CHECK(findingsOfType(run.report, "bad_close").empty());
    CHECK(findingsOfType(run.report, "double_close").empty());
    // At exit every leaked read end is still open: one per cycle, all from pipe create, so one
    // leaked_handle finding whose components are the sockets (docs/report-schema.md).
    auto grouped = findingsOfType(run.report, "leaked_handle");
    REQUIRE(grouped.size() == 1);
    const auto& leaked = grouped[0]["components"];
    CHECK(leaked.size() == static_cast<std::size_t>(kBuggyCycles));
    for (const auto& handle : leaked) {
        CHECK(handle.value("handle_details", "").find("AF_INET SOCK_DGRAM") != std::string::npos);
        CHECK(stackHasCallChain(handle, kPipeSocketChain));
    }

    // Snapshot by snapshot: cycle k holds the start set plus exactly k bound UDP sockets.
    CycleSnapshots series = loadCycleSnapshots(run);
    REQUIRE(series.cycles.size() == static_cast<std::size_t>(kBuggyCycles));
    std::set<int> start = openFds(series.start);
    CHECK(countSockets(series.start, "AF_INET", "SOCK_DGRAM") == 0);
    for (int cycle = 1; cycle <= kBuggyCycles; cycle++) {
        const auto& snapshot = series.cycles[cycle - 1];
        INFO("cycle " << cycle << " extra handles:\n" << describeExtraHandles(snapshot, start));
        CHECK(countSockets(snapshot, "AF_INET", "SOCK_DGRAM") == cycle);
        CHECK(openFds(snapshot).size() == start.size() + cycle);
        // Memory does not grow: the context and the pipe wsi are freed by every destroy.
        CHECK(counter(snapshot, "live_allocations") == counter(series.start, "live_allocations"));
    }

    // The gate must fail on this run: the clean result of the fixed variant below means something.
    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check stdout:\n" << check.out << "stderr:\n" << check.err);
    CHECK(check.exit_code == 1);
}

TEST_CASE("lws_freertos_pipe fixed: 400 cycles on a table of 2 sockets, no growth, fds back to the start set",
          "[lws][freertos_pipe][tool]") {
    TemporaryDirectory dir;
    // Two slots are exactly one context's pipe: any socket kept by a destroy would fail the next cycle.
    ToolRun run = runPipe(dir, "fixed", kFixedCycles, {"--max-sockets", "2"});
    CHECK(run.process.out.find("400 context cycles completed") != std::string::npos);
    INFO("findings:\n" << describeFindings(run.report));
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(findingsOfType(run.report, "leaked_handle").empty());
    CHECK(findingsOfType(run.report, "bad_close").empty());

    // Every cycle took its snapshot; cycle 1 and every 25th are read back (reading all 400 would make
    // the test slow without asserting anything the growth analysis above has not).
    CycleSnapshots series = loadCycleSnapshots(run, 25);
    CHECK(series.cycles_taken == kFixedCycles);
    REQUIRE(series.cycles.size() == 17u);  // cycle 1, 25, 50, ..., 400
    std::set<int> start = openFds(series.start);
    for (std::size_t i = 0; i < series.cycles.size(); i++) {
        INFO("cycle " << series.cycle_numbers[i] << " start fds: " << describeFds(start) << "extra handles:\n"
                      << describeExtraHandles(series.cycles[i], start));
        CHECK(openFds(series.cycles[i]) == start);
        CHECK(counter(series.cycles[i], "live_allocations") == counter(series.start, "live_allocations"));
    }

    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check stdout:\n" << check.out << "stderr:\n" << check.err);
    CHECK(check.exit_code == 0);
}

TEST_CASE("lws_freertos_pipe buggy: lwIP's socket table runs out, context creation fails with ENFILE",
          "[lws][freertos_pipe][tool]") {
    constexpr int kSlots = 6;  // a context needs 2; each buggy cycle keeps 1: cycle 6 finds 5 + 1 free
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {kPipeProgram, "--cycles", "20", "--variant", "buggy", "--max-sockets",
                                            std::to_string(kSlots)});
    INFO("leakscope run stderr:\n" << run.process.err);
    // `leakscope run` without --check exits with the program's own status.
    CHECK(run.process.exit_code == kExitContextCreateFailed);
    CHECK(run.process.err.find("lws_plat_pipe_create: socket for fd[1] failed: Too many open files in system "
                               "(lwIP socket table: 6 of 6 slots in use)") != std::string::npos);
    CHECK(run.process.err.find("cycle 6: lws_create_context failed") != std::string::npos);
    CHECK(run.process.err.find("cycle 5:") == std::string::npos);

    REQUIRE(run.report.is_object());
    INFO("findings:\n" << describeFindings(run.report));
    CycleSnapshots series = loadCycleSnapshots(run);
    CHECK(series.cycles.size() == static_cast<std::size_t>(kSlots - 1));
    // The failed creation closed its half-made pipe; only the kSlots - 1 leaked read ends remain.
    // One finding (one stack: grouped by cause, docs/report-schema.md) whose components are the fds.
    auto grouped = findingsOfType(run.report, "leaked_handle");
    REQUIRE(grouped.size() == 1);
    CHECK(grouped[0]["components"].size() == static_cast<std::size_t>(kSlots - 1));
    CHECK(stackHasCallChain(grouped[0], kPipeSocketChain));
    CHECK(findingsOfType(run.report, "bad_close").empty());

    // The same table under the fixed variant is never exhausted.
    ProcessResult fixed = runProcess({kPipeProgram, "--cycles", "20", "--variant", "fixed", "--max-sockets",
                                      std::to_string(kSlots)});
    INFO("fixed stderr: " << fixed.err);
    CHECK(fixed.exit_code == 0);
}
