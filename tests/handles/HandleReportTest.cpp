// What a user sees: `leakscope run` over the handleprogs, asserting on the JSON report. The lost UDP
// socket is blamed on the function that opened it, once per cycle, with its bad closes; fds a process
// inherited (stdin/stdout/stderr, this machine's 10 and 251, fds kept across exec) are never leaks.
#include <catch2/catch.hpp>

#include "ToolRun.h"

using namespace leakscope::testing;

TEST_CASE("the report blames the socket lost each cycle on its opener and counts its bad closes", "[handles][report]") {
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_HANDLEPROG_UDP_LEAK, "4"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    // One cause, one finding (docs/report-schema.md): the four sockets are its components.
    const auto grouped = findingsOfType(run.report, "leaked_handle");
    REQUIRE(grouped.size() == 1);
    const auto& leaked = grouped[0]["components"];
    REQUIRE(leaked.size() == 4);
    for (const auto& finding : leaked) {
        INFO(finding.dump());
        CHECK(finding.value("handle_kind", "") == "socket");
        CHECK(topFunction(finding) == "open_status_socket");
        CHECK(finding.value("fd", -1) > 2);
    }
    const auto bad_closes = findingsOfType(run.report, "bad_close");
    REQUIRE(bad_closes.size() == 1);
    CHECK(bad_closes[0].value("count", 0) == 4);
    CHECK(bad_closes[0].value("value", 0) == -1);
    CHECK(stackHasFunction(bad_closes[0], "lose_and_close_status_socket"));
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
