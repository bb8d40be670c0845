// Reachability in findings through a real program under the real preload and the real `leakscope`
// (docs/analysis.md, "Reachability in findings"): reach_cases (tests/reachability/programs) loses one
// 1001-byte block per cycle and appends one 1002-byte node per cycle to a list a global keeps.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

const std::string kCases = LEAKSCOPE_TARGET_REACH_CASES;
const std::string kModule = LEAKSCOPE_TARGET_REACH_MODULE;
constexpr int kCycles = 12;

// The one finding of `type` whose stack has `function`.
json oneIn(const json& report, const std::string& type, const std::string& function) {
    std::vector<json> found;
    for (const auto& finding : findingsOfType(report, type))
        if (stackHasFunction(finding, function)) found.push_back(finding);
    INFO("report: " << report.dump(1));
    REQUIRE(found.size() == 1);
    return found[0];
}

json readJson(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    return json::parse(in);
}

}  // namespace

TEST_CASE("per-cycle classes: lost growth is mostly definitely lost, a growing list still reachable, and --fail-on lost tells them apart") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {kCases, kModule, std::to_string(kCycles)}, {"--reachability"});
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.report.is_object());

    json lost = oneIn(run.report, "growth", "lose_previous_block");
    CHECK(lost["bytes_per_cycle"].get<double>() == Approx(1001));
    const json& lost_reach = lost["reachability"];
    INFO("lost: " << lost_reach.dump());
    CHECK(lost_reach["status"] == "classified");
    CHECK(lost_reach["snapshot"]["label"] == "cycle");
    // In the last 'cycle' snapshot the block of that cycle is still in the global; every earlier one
    // allocated since the growth began is definitely lost.
    CHECK(lost_reach["count"]["still_reachable"] == 1);
    CHECK(lost_reach["count"]["definitely_lost"].get<int>() >= kCycles - 4);
    CHECK(lost_reach["bytes"]["definitely_lost"].get<uint64_t>() == 1001 * lost_reach["count"]["definitely_lost"].get<uint64_t>());
    CHECK(lost_reach["bytes_per_cycle"]["definitely_lost"].get<double>() > 800);
    CHECK(lost_reach["mostly_lost"] == true);

    json list = oneIn(run.report, "growth", "append_list_node");
    CHECK(list["bytes_per_cycle"].get<double>() == Approx(1002));
    CHECK(list["reachability"]["summary"] == "all still reachable");
    CHECK(list["reachability"]["mostly_lost"] == false);

    // Exit leaks carry valgrind's classes: at exit the global is cleared, so every lost-per-cycle block
    // is definitely lost; the list stays reachable from its global head.
    json lost_at_exit = oneIn(run.report, "exit_leak", "lose_previous_block");
    CHECK(lost_at_exit["reachability"]["summary"] == "all definitely lost");
    CHECK(lost_at_exit["reachability"]["count"]["definitely_lost"] == kCycles);
    json list_at_exit = oneIn(run.report, "exit_leak", "append_list_node");
    CHECK(list_at_exit["reachability"]["bytes"]["still_reachable"] == 1002 * kCycles);

    // The gate: `lost` fails the lost growth only; the list informs.
    const std::string gated = dir.path() + "/lost.json";
    ProcessResult check = runAnalyzer({"check", run.snapshot_dir, "--fail-on", "lost", "--format", "json", "--output", gated});
    INFO("check stderr:\n" << check.err);
    CHECK(check.exit_code == 1);
    json report = readJson(gated);
    CHECK(oneIn(report, "growth", "lose_previous_block")["gating"] == true);
    CHECK(oneIn(report, "growth", "append_list_node")["gating"] == false);

    // The text ends the list's title with it (the headline may name the inlined helper `zeroed`).
    ProcessResult text = runAnalyzer({"report", run.snapshot_dir});
    size_t title = text.out.find("memory grows by 1002 B");
    REQUIRE(title != std::string::npos);
    CHECK(text.out.substr(title, text.out.find('\n', title) - title).find("cycle' cycle in ") != std::string::npos);
    CHECK(text.out.substr(title, text.out.find('\n', title) - title).find(" — all still reachable") != std::string::npos);
}

TEST_CASE("without per-cycle classes the growth takes its classes from the exit snapshot, and with the scan off it is not classified") {
    TemporaryDirectory dir;
    // Default: only the exit snapshot is classified; at exit every lost-per-cycle block is lost.
    ToolRun run = runUnderTool(dir.path(), {kCases, kModule, std::to_string(kCycles)});
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.report.is_object());
    json lost = oneIn(run.report, "growth", "lose_previous_block");
    CHECK(lost["reachability"]["snapshot"]["label"] == "exit");
    CHECK(lost["reachability"]["summary"] == "all definitely lost");

    TemporaryDirectory off_dir;
    ProcessOptions off;
    off.set_env["LEAKSCOPE_REACHABILITY"] = "off";
    ToolRun unclassified = runUnderTool(off_dir.path(), {kCases, kModule, std::to_string(kCycles)}, {}, off);
    REQUIRE(unclassified.report.is_object());
    json growth = oneIn(unclassified.report, "growth", "lose_previous_block");
    CHECK(growth["reachability"]["status"] == "not_classified");
    CHECK(growth["reachability"]["summary"] == "reachability not classified");
    CHECK_FALSE(growth["reachability"].contains("mostly_lost"));
    ProcessResult check = runAnalyzer({"check", unclassified.snapshot_dir, "--fail-on", "lost"});
    CHECK(check.exit_code == 0);  // no evidence of lost memory: the lost gate does not fail
}
