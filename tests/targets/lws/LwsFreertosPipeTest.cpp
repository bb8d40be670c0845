// lws_freertos_pipe under the real leakscope: the buggy close order leaks the bound UDP socket of the
// dummy pipe once per context cycle, and the report must say exactly that; the fixed order is clean.
#include <catch2/catch.hpp>

#include "LwsTestSupport.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using namespace leakscope::lws_tests;

namespace {

const std::string kPipeProgram = LEAKSCOPE_TARGET_LWS_FREERTOS_PIPE;
constexpr int kCycles = 10;
constexpr int kExitContextCreateFailed = 3;  // documented in lws_freertos_pipe_main.c

ToolRun runPipe(const TemporaryDirectory& dir, const std::string& variant) {
    ToolRun run = runUnderTool(dir.path(), {kPipeProgram, "--cycles", std::to_string(kCycles), "--variant", variant});
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
             {"--cycles", "5", "--variant", "fixed", "--port", "70000"}, {"--variant", "fixed", "--what"}}) {
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
    ToolRun run = runPipe(dir, "buggy");
    INFO("findings:\n" << describeFindings(run.report));

    auto growth = findingsOfType(run.report, "growth");
    REQUIRE(growth.size() == 1);  // nothing else grows: no memory, no other handle
    const auto& leak = growth[0];
    CHECK(leak.value("resource", "") == "handle");
    CHECK(leak.value("handle_kind", "") == "socket");
    CHECK(leak.value("handle_details", "").find("AF_INET SOCK_DGRAM") != std::string::npos);
    CHECK(leak.value("count_per_cycle", 0) == 1);
    CHECK(leak.value("cycles_grown", -1) == leak.value("cycles_observed", -2));
    // socket() itself is trimmed as an interposer frame: the caller of socket() is on top.
    CHECK(topFunction(leak) == "lws_plat_pipe_create");
    CHECK(stackHasFunction(leak, "lws_create_event_pipes"));
    CHECK(stackHasFunction(leak, "lws_create_context"));
    CHECK(stackHasFunction(leak, "main"));

    // The pipe close skips the invalidated -1 as the original does: no close(-1), so no bad close.
    CHECK(findingsOfType(run.report, "bad_close").empty());
    CHECK(findingsOfType(run.report, "double_close").empty());
    // At exit every leaked read end is still open: one per cycle, all from pipe create, so one
    // leaked_handle finding whose components are the sockets (docs/report-schema.md).
    auto grouped = findingsOfType(run.report, "leaked_handle");
    REQUIRE(grouped.size() == 1);
    const auto& leaked = grouped[0]["components"];
    CHECK(leaked.size() == static_cast<std::size_t>(kCycles));
    for (const auto& handle : leaked) {
        CHECK(handle.value("handle_details", "").find("AF_INET SOCK_DGRAM") != std::string::npos);
        CHECK(topFunction(handle) == "lws_plat_pipe_create");
    }

    // Snapshot by snapshot: cycle k holds the start set plus exactly k bound UDP sockets.
    CycleSnapshots series = loadCycleSnapshots(run);
    REQUIRE(series.cycles.size() == static_cast<std::size_t>(kCycles));
    std::set<int> start = openFds(series.start);
    CHECK(countSockets(series.start, "AF_INET", "SOCK_DGRAM") == 0);
    for (int cycle = 1; cycle <= kCycles; cycle++) {
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

TEST_CASE("lws_freertos_pipe fixed: no growth, fds back to the start set, leakscope check passes",
          "[lws][freertos_pipe][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPipe(dir, "fixed");
    INFO("findings:\n" << describeFindings(run.report));
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(findingsOfType(run.report, "leaked_handle").empty());
    CHECK(findingsOfType(run.report, "bad_close").empty());

    CycleSnapshots series = loadCycleSnapshots(run);
    REQUIRE(series.cycles.size() == static_cast<std::size_t>(kCycles));
    std::set<int> start = openFds(series.start);
    for (std::size_t cycle = 0; cycle < series.cycles.size(); cycle++) {
        INFO("cycle " << cycle + 1 << " start fds: " << describeFds(start) << "extra handles:\n"
                      << describeExtraHandles(series.cycles[cycle], start));
        CHECK(openFds(series.cycles[cycle]) == start);
        CHECK(counter(series.cycles[cycle], "live_allocations") == counter(series.start, "live_allocations"));
    }

    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check stdout:\n" << check.out << "stderr:\n" << check.err);
    CHECK(check.exit_code == 0);
}

// Every use of the original's fixed port 54321 is in this one test case, so that parallel test
// runs never race for the port.
TEST_CASE("lws_freertos_pipe on the original port 54321: the buggy variant's second bind fails",
          "[lws][freertos_pipe][tool]") {
    REQUIRE(udpPortIsFree(54321));  // something else on this machine holds the port: the test cannot say anything

    ProcessResult fixed = runProcess({kPipeProgram, "--cycles", "5", "--variant", "fixed", "--port", "54321"});
    INFO("fixed stderr: " << fixed.err);
    CHECK(fixed.exit_code == 0);

    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {kPipeProgram, "--cycles", "5", "--variant", "buggy", "--port", "54321"});
    INFO("leakscope run stderr:\n" << run.process.err);
    // `leakscope run` without --check exits with the program's own status.
    CHECK(run.process.exit_code == kExitContextCreateFailed);
    CHECK(run.process.err.find("lws_plat_pipe_create: bind 127.0.0.1:54321 failed: Address already in use") !=
          std::string::npos);
    CHECK(run.process.err.find("cycle 2: lws_create_context failed") != std::string::npos);
    CHECK(run.process.err.find("cycle 1:") == std::string::npos);
    // One cycle completed before the failure, and its leaked socket was seen.
    REQUIRE(run.report.is_object());
    INFO("findings:\n" << describeFindings(run.report));
    auto leaked = findingsOfType(run.report, "leaked_handle");
    REQUIRE(leaked.size() == 1);
    CHECK(topFunction(leaked[0]) == "lws_plat_pipe_create");
    CHECK(udpPortIsFree(54321));  // the leak died with the process
}
