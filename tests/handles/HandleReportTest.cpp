// What a user sees: `leakscope run` over the handleprogs, asserting on the JSON report. The lost UDP
// socket is blamed on the function that opened it, once per cycle, and gates; its close(-1) only
// informs, as does a shell's (system(): one entry for the shells of every cycle); fds a process inherited (stdin/stdout/stderr, this machine's
// 10 and 251, fds kept across exec) are never leaks.
#include <catch2/catch.hpp>

#include <filesystem>

#include "ToolRun.h"

using namespace leakscope::testing;

TEST_CASE("the report blames the socket lost each cycle on its opener, and its close(-1) informs", "[handles][report]") {
    constexpr int kCycles = 6;  // growth needs a series of 5
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_HANDLEPROG_UDP_LEAK, std::to_string(kCycles)}, {"--check"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    // One cause, one finding (docs/report-schema.md): the sockets are its components.
    const auto grouped = findingsOfType(run.report, "leaked_handle");
    REQUIRE(grouped.size() == 1);
    const auto& leaked = grouped[0]["components"];
    REQUIRE(leaked.size() == kCycles);
    for (const auto& finding : leaked) {
        INFO(finding.dump());
        CHECK(finding.value("handle_kind", "") == "socket");
        CHECK(topFunction(finding) == "open_status_socket");
        CHECK(finding.value("fd", -1) > 2);
    }
    // close(-1) closed nothing: its own type, informational; the socket lost before it still gates.
    CHECK(findingsOfType(run.report, "bad_close").empty());
    const auto invalid_closes = findingsOfType(run.report, "invalid_fd_close");
    REQUIRE(invalid_closes.size() == 1);
    CHECK(invalid_closes[0].value("count", 0) == kCycles);
    CHECK(invalid_closes[0].value("value", 0) == -1);
    CHECK_FALSE(invalid_closes[0].value("gating", true));
    CHECK(stackHasFunction(invalid_closes[0], "lose_and_close_status_socket"));
    CHECK(run.process.exit_code == 1);
    bool socket_growth_gates = false;
    for (const auto& growth : findingsOfType(run.report, "growth"))
        socket_growth_gates = socket_growth_gates || (growth.value("handle_kind", "") == "socket" && growth.value("gating", false));
    CHECK(socket_growth_gates);
    // The text report names the fingerprint: an fd variable overwritten with -1 before its close.
    const ProcessResult text = runAnalyzer({"report", run.snapshot_dir});
    CHECK(text.out.find("this process also loses fds") != std::string::npos);
}

TEST_CASE("a program running a shell pipeline with system() gates clean, the shell's close(-1) informs", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_HANDLEPROG_SYSTEM_SHELL, "6"}, {"--check"});
    INFO("leakscope run stdout: " << run.process.out << "\nstderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == 0);
    CHECK(run.report.value("verdict", "") == "clean");
    CHECK(findingsOfType(run.report, "bad_close").empty());
    // dash (Debian's /bin/sh) calls close(-1) in every pipeline; another shell may not, and then the
    // clean gate is all there is to check.
    const auto invalid_closes = findingsOfType(run.report, "invalid_fd_close");
    std::error_code ec;
    if (std::filesystem::canonical("/bin/sh", ec).filename() == "dash") {
        // One shell per system(), the same close(-1) in each: one entry for all of them (FindingMerge.h).
        REQUIRE(invalid_closes.size() == 1);
        CHECK(invalid_closes[0].value("processes", 0) >= 6);
        CHECK(invalid_closes[0].value("count", 0) >= invalid_closes[0].value("processes", 0));
    }
    for (const auto& close : invalid_closes) {
        CHECK(close.value("value", 0) == -1);
        CHECK_FALSE(close.value("gating", true));
    }
}

TEST_CASE("fds inherited across exec and from the parent are never reported as leaked", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_HANDLEPROG_FD_ACCOUNTING, "exec"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    REQUIRE(run.report.contains("processes"));
    REQUIRE_FALSE(run.report["processes"].empty());  // the snapshots were read: the check below means something
    // The exec'd image opened nothing of its own: everything open at its exit came from before.
    CHECK(findingsOfType(run.report, "leaked_handle").empty());
}
