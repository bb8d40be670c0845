// Reports that point at the cause (issue 18): real programs under the real preload and analyzer.
// Asserts the headline names the program's own call (strdup, asprintf, std::map, a library's wrapper),
// one finding per cause (a libwebsockets context kept per cycle; ten fds from one line), no runtime-
// internal block in a default report, frame 0 on the allocation's own line, and byte-identical
// repeated reports.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

json runMode(TemporaryDirectory& dir, const std::string& program, const std::string& mode,
             const std::vector<std::string>& tool_args = {}) {
    std::vector<std::string> command{program};
    if (!mode.empty()) command.push_back(mode);
    ToolRun run = runUnderTool(dir.path(), command, tool_args);
    INFO(run.process.err);
    REQUIRE(run.report.is_object());
    return run.report;
}

// The memory growth finding whose stack passes through `function`.
json growthThrough(const json& report, const std::string& function) {
    for (const auto& finding : findingsOfType(report, "growth"))
        if (finding["resource"] == "memory" && stackHasFunction(finding, function)) return finding;
    FAIL("no memory growth through " << function << " in " << report.dump(1));
    return {};
}

std::string headline(const json& finding) { return finding.value("headline", std::string()); }

bool stackHasAny(const json& finding, const std::vector<std::string>& functions) {
    for (const auto& function : functions)
        if (stackHasFunction(finding, function)) return true;
    return false;
}

// Line number (1-based) of the first line of `file` containing `marker`.
int lineOf(const std::string& file, const std::string& marker) {
    std::istringstream in(readFile(file));
    std::string line;
    for (int number = 1; std::getline(in, line); ++number)
        if (line.find(marker) != std::string::npos) return number;
    return 0;
}

}  // namespace

TEST_CASE("the headline of a strdup leak is the program's call, not __strdup") {
    TemporaryDirectory dir;
    json finding = growthThrough(runMode(dir, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "strdup"), "strdup_site");
    CHECK(headline(finding) == "strdup_site → strdup");
    CHECK(finding["stack"][0]["function"].get<std::string>().find("strdup") != std::string::npos);  // full stack kept
}

TEST_CASE("the headline of an asprintf leak is the program's call") {
    TemporaryDirectory dir;
    json finding = growthThrough(runMode(dir, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "asprintf"), "asprintf_site");
    CHECK(headline(finding) == "asprintf_site → asprintf");
}

TEST_CASE("the headline of std::map growth is the program's call with a short name") {
    TemporaryDirectory dir;
    json report = runMode(dir, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "map");
    json finding = growthThrough(report, "map_site");
    std::string text = headline(finding);
    CHECK(text.rfind("map_site → std::", 0) == 0);
    CHECK(text.size() < 80);
    CHECK(text.find("std::__cxx11::basic_string") == std::string::npos);  // template arguments elided
    // The stack below keeps the container's frames with their full names.
    bool long_name = false;
    for (const auto& frame : finding["stack"]) long_name = long_name || frame["function"].get<std::string>().size() > 100;
    CHECK(long_name);
}

TEST_CASE("a library's own allocation wrapper is detected and skipped, and --alloc-fn skips more") {
    TemporaryDirectory dir;
    json finding = growthThrough(runMode(dir, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "wrapper"), "xwrap_node_new");
    CHECK(headline(finding) == "xwrap_node_new → xwrap_malloc");
    CHECK(topFunction(finding) == "xwrap_malloc");

    TemporaryDirectory again;
    json named = growthThrough(runMode(again, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "wrapper", {"--alloc-fn", "xwrap_*_new"}),
                               "xwrap_node_new");
    CHECK(headline(named) == "wrapper_site → xwrap_node_new");
}

TEST_CASE("ten fds left open from one line are one finding listing the fds") {
    TemporaryDirectory dir;
    json report = runMode(dir, LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "fds");
    auto leaked = findingsOfType(report, "leaked_handle");
    REQUIRE(leaked.size() == 1);
    REQUIRE(leaked[0]["components"].size() == 10);
    std::set<int> fds;
    for (const auto& part : leaked[0]["components"]) fds.insert(part["fd"].get<int>());
    CHECK(fds.size() == 10);
    CHECK(headline(leaked[0]).rfind("fds_site", 0) == 0);
}

TEST_CASE("a libwebsockets context kept per cycle is one finding with memory and three handle kinds") {
    TemporaryDirectory dir;
    json report = runMode(dir, LEAKSCOPE_TARGET_REPORTS_KEPT_CONTEXT, "");
    std::vector<json> through;
    for (const auto& finding : findingsOfType(report, "growth"))
        if (stackHasFunction(finding, "service_start")) through.push_back(finding);
    INFO(report.dump(1));
    REQUIRE(through.size() == 1);
    const json& group = through[0];
    CHECK(headline(group) == "service_start → lws_create_context");
    std::set<std::string> handle_kinds;
    double memory_per_cycle = 0;
    for (const auto& part : group["components"]) {
        if (part["resource"] == "handle") handle_kinds.insert(part["handle_kind"].get<std::string>());
        else memory_per_cycle += part["bytes_per_cycle"].get<double>();
    }
    CHECK(memory_per_cycle > 1000);
    // The listen socket, the event pipe (an eventfd) and /dev/urandom (a file).
    CHECK(handle_kinds == std::set<std::string>{"eventfd", "file", "socket"});
}

TEST_CASE("no runtime-internal block in the default report of a threaded, printing C++ program") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "runtime"});
    REQUIRE(run.report.is_object());
    const std::vector<std::string> runtime = {"allocate_dtv", "_dl_allocate_tls", "_IO_file_doallocate", "__nss_database_lookup2"};
    for (const auto& finding : run.report["findings"]) {
        INFO(finding.dump(1));
        CHECK_FALSE(stackHasAny(finding, runtime));
        CHECK_FALSE((finding["stack"].empty() && finding.value("bytes", 0) == 72704));
    }
    CHECK(run.report["summary"]["suppressed"].get<int>() > 0);
    // The same snapshots without the built-in rules: the runtime's blocks are there to be hidden.
    std::string out = dir.path() + "/all.json";
    auto all = runAnalyzer({"report", run.snapshot_dir, "--no-default-suppressions", "--format", "json", "--output", out});
    REQUIRE(all.exit_code == 0);
    json unfiltered = json::parse(readFile(out));
    bool runtime_shown = false;
    for (const auto& finding : unfiltered["findings"]) runtime_shown = runtime_shown || stackHasAny(finding, runtime);
    CHECK(runtime_shown);
}

TEST_CASE("frame 0 is shown on the allocation's own line") {
    TemporaryDirectory dir;
    json finding = growthThrough(runMode(dir, LEAKSCOPE_TARGET_REPORTS_FRAME0_LINE, ""), "leak_once");
    int expected = lineOf(LEAKSCOPE_REPORTS_SOURCE_DIR "/frame0_line.c", "/* the allocation */");
    REQUIRE(expected > 0);
    CHECK(finding["stack"][0]["function"] == "leak_once");
    CHECK(finding["stack"][0]["line"] == expected);
}

TEST_CASE("repeated reports over the same snapshots are byte-identical in every format") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_REPORTS_KEPT_CONTEXT});
    REQUIRE(run.report.is_object());
    for (std::string format : {"text", "json", "markdown", "junit", "sarif", "folded", "html"}) {
        std::string first;
        for (int i = 0; i < 4; ++i) {
            std::string out = dir.path() + "/report." + format + "." + std::to_string(i);
            auto result = runAnalyzer({"report", run.snapshot_dir, "--format", format, "--output", out});
            REQUIRE(result.exit_code == 0);
            std::string text = readFile(out);
            INFO(format << " run " << i);
            REQUIRE_FALSE(text.empty());
            if (i == 0) first = text;
            else CHECK(text == first);
        }
    }
}

TEST_CASE("diff's text output shows each frame's file:line") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_REPORTS_FRAME0_LINE});
    auto snapshots = run.snapshots();
    REQUIRE(snapshots.size() >= 3);
    auto diff = runAnalyzer({"diff", snapshots.front(), snapshots[snapshots.size() - 2]});
    REQUIRE(diff.exit_code == 0);
    int line = lineOf(LEAKSCOPE_REPORTS_SOURCE_DIR "/frame0_line.c", "/* the allocation */");
    INFO(diff.out);
    CHECK(diff.out.find("at leak_once  ") != std::string::npos);
    CHECK(diff.out.find("frame0_line.c:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("show-suppressed names the rule per finding, and a rule matching every finding is warned about") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_REPORTS_HEADLINE_LEAKS, "strdup"});
    REQUIRE(run.report.is_object());
    std::string rules = dir.path() + "/all.supp";
    std::ofstream(rules) << "*:libc.so.6\n";
    std::string out = dir.path() + "/checked.json";
    auto check = runAnalyzer({"check", run.snapshot_dir, "--suppressions", rules, "--show-suppressed", "--format", "json", "--output", out});
    INFO(check.err);
    CHECK(check.err.find("rule *:libc.so.6 matches every finding") != std::string::npos);
    json report = json::parse(readFile(out));
    CHECK(report["findings"].empty());
    bool named = false;
    for (const auto& note : report["notes"]) named = named || note.get<std::string>().find("all.supp:1 *:libc.so.6: growth") != std::string::npos;
    CHECK(named);
}
