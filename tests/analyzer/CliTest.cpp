// The `leakscope` binary as users and CI run it: exit codes, one-line errors on corrupt input, output
// files in every format, the gate with suppressions and baselines, and end to end under the preload.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ProcessRunner.h"
#include "SnapshotBuilder.h"
#include "SyntheticRun.h"
#include "ToolRun.h"
#include "leakscope/snapshot_format.h"

using namespace leakscope::testing;
namespace fs = std::filesystem;

namespace {

void requireOneLine(const ProcessResult& result, const std::string& must_contain) {
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find(must_contain) != std::string::npos);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

bool xmlWellFormed(const std::string& path) {
    return runProcess({"xmllint", "--noout", path}).exit_code == 0;
}

}  // namespace

TEST_CASE("every corruption of a snapshot is exit 2 with one line naming the file") {
    TemporaryDirectory dir;
    auto builder = syntheticSnapshot(3, "cycle", 10, 0);
    builder.allocation(0x1000, 64, 5, 1).handle(4, leakscope::snapshot::HandleKind::File, 6, 2, 0, "/etc/passwd");
    std::string bytes = builder.bytes();
    std::vector<size_t> cuts = {0, 7, 100, sizeof(leakscope::snapshot::FileHeader), bytes.size() - 1};
    for (size_t offset : builder.sectionOffsets()) cuts.insert(cuts.end(), {offset, offset + 20, offset + 40});
    std::string file = dir.path() + "/bad.lksnap";
    for (size_t cut : cuts) {
        if (cut >= bytes.size()) continue;
        INFO("truncated at " << cut);
        writeFile(file, bytes.substr(0, cut));
        requireOneLine(runAnalyzer({"show", file}), file + ": ");
        requireOneLine(runAnalyzer({"report", file}), file + ": ");
    }
    for (size_t flip = 0; flip < bytes.size(); flip += 37) {
        std::string corrupt = bytes;
        corrupt[flip] = char(corrupt[flip] ^ 0xff);
        writeFile(file, corrupt);
        INFO("flipped byte " << flip);
        // No byte is uncovered (tests/snapshot flips every one with several masks): always exit 2.
        requireOneLine(runAnalyzer({"show", file}), file + ": ");
    }
    std::string wrong_version = bytes;
    wrong_version[8] = char(leakscope::snapshot::kFormatVersion + 1);  // the first version this reader does not know
    writeFile(file, wrong_version);
    requireOneLine(runAnalyzer({"check", file}), "format version " + std::to_string(leakscope::snapshot::kFormatVersion + 1));
}

TEST_CASE("usage errors are exit 2 with one line") {
    requireOneLine(runAnalyzer({"report"}), "INPUTS");
    requireOneLine(runAnalyzer({"report", "/nonexistent-dir"}), "/nonexistent-dir");
    requireOneLine(runAnalyzer({"report", ".", "--format", "yaml"}), "yaml");
    requireOneLine(runAnalyzer({"frobnicate"}), "leakscope:");
    requireOneLine(runAnalyzer({"show", "/tmp"}), "/tmp: not a regular file");
    requireOneLine(runAnalyzer({"snap", "not-a-pid"}), "not a process id");
    requireOneLine(runAnalyzer({"run", "--", "/nonexistent/program"}), "cannot execute /nonexistent/program");
    CHECK(runAnalyzer({"check", "--help"}).exit_code == 0);
}

TEST_CASE("show prints the snapshot with symbolized stacks") {
    TemporaryDirectory dir;
    auto files = writeLeakySeries(dir.path(), 11, 3);
    auto shown = showSnapshot(files[1]);
    CHECK(shown["pid"] == 11);
    CHECK(shown["label"] == "cycle");
    CHECK(shown["handles"][0]["details"] == "AF_INET SOCK_DGRAM 0");
    CHECK(shown["stacks"][0]["symbols"][0]["function"] == "synthetic_leaky_function");
    CHECK(shown["stacks"][0]["symbols"][1]["function"] == "synthetic_cache_function");
}

TEST_CASE("show prints the file's format version, the reachability counters and each block's class") {
    TemporaryDirectory dir;
    using leakscope::snapshot::ReachabilityStatus;
    auto classified = syntheticSnapshot(12, "cycle", 10, 0);
    classified.allocation(0x1000, 64, 5, 1).allocation(0x2000, 32, 6, 2);
    classified.reachability({uint8_t(leakscope::snapshot::Reachability::DefinitelyLost),
                             uint8_t(leakscope::snapshot::Reachability::StillReachable)},
                            123456);
    writeFile(dir.path() + "/classified.lksnap", classified.bytes());
    auto shown = showSnapshot(dir.path() + "/classified.lksnap");
    CHECK(shown["format_version"] == leakscope::snapshot::kFormatVersion);
    CHECK(shown["counters"]["reachability_status"] == "classified");
    CHECK(shown["counters"]["reachability_scan_ns"] == 123456);
    CHECK(shown["allocations"][0]["reachability"] == "definitely lost");
    CHECK(shown["allocations"][1]["reachability"] == "still reachable");

    auto skipped = syntheticSnapshot(12, "cycle", 11, 1);
    skipped.allocation(0x1000, 64, 5, 1).reachabilityStatus(ReachabilityStatus::Skipped, 5000000000);
    writeFile(dir.path() + "/skipped.lksnap", skipped.bytes());
    shown = showSnapshot(dir.path() + "/skipped.lksnap");
    CHECK(shown["counters"]["reachability_status"] == "skipped");
    CHECK(shown["counters"]["reachability_scan_ns"] == 5000000000);
    CHECK_FALSE(shown["allocations"][0].contains("reachability"));  // no classes: none invented

    auto old = syntheticSnapshot(12, "cycle", 12, 2);
    old.allocation(0x1000, 64, 5, 1).version(1);
    writeFile(dir.path() + "/old.lksnap", old.bytes());
    shown = showSnapshot(dir.path() + "/old.lksnap");
    CHECK(shown["format_version"] == 1);
    CHECK(shown["counters"]["reachability_status"] == "not attempted");
}

TEST_CASE("report writes each format to its own file, check gates with suppressions and baselines") {
    TemporaryDirectory dir;
    std::string snaps = dir.path() + "/snaps";
    fs::create_directories(snaps);
    writeLeakySeries(snaps, 12, 8);
    std::string json = dir.path() + "/r.json", junit = dir.path() + "/r.xml", sarif = dir.path() + "/r.sarif";
    auto report = runAnalyzer({"report", snaps, "--format", "json", "--output", json, "--format", "junit", "--output",
                               junit, "--format", "sarif", "--output", sarif, "--format", "text"});
    INFO(report.err);
    REQUIRE(report.exit_code == 0);  // report informs, check gates
    CHECK(report.out.find("synthetic_leaky_function") != std::string::npos);
    auto parsed = nlohmann::json::parse(readFile(json));
    CHECK(parsed["schema_version"] == 1);
    CHECK(stackHasFunction(findingsOfType(parsed, "growth").at(0), "synthetic_leaky_function"));
    CHECK(xmlWellFormed(junit));
    CHECK(readFile(junit).find("synthetic_leaky_function") != std::string::npos);
    CHECK(nlohmann::json::parse(readFile(sarif))["runs"][0]["results"][0]["ruleId"] == "growth");

    auto check = runAnalyzer({"check", snaps});
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("synthetic_leaky_function") != std::string::npos);

    std::string suppressions = dir.path() + "/leaks.supp";
    writeFile(suppressions, "# accepted for this test\n*:synthetic_*\n");
    CHECK(runAnalyzer({"check", snaps, "--suppressions", suppressions}).exit_code == 0);
    writeFile(suppressions, "growth:synthetic_*\nbroken line\n");
    requireOneLine(runAnalyzer({"check", snaps, "--suppressions", suppressions}), suppressions + ":2:");

    std::string baseline = dir.path() + "/baseline.json";
    CHECK(runAnalyzer({"check", snaps, "--baseline", baseline, "--update-baseline"}).exit_code == 0);
    CHECK(runAnalyzer({"check", snaps, "--baseline", baseline}).exit_code == 0);
    // A new leak in another process is not in the baseline.
    writeLeakySeries(snaps, 13, 8);
    CHECK(runAnalyzer({"check", snaps, "--baseline", baseline}).exit_code == 0);  // same stacks: same keys
    writeFile(baseline, "{\"accepted\": 3}");
    requireOneLine(runAnalyzer({"check", snaps, "--baseline", baseline}), baseline);
}

TEST_CASE("diff shows what was created after A and is live at B") {
    TemporaryDirectory dir;
    auto files = writeLeakySeries(dir.path(), 14, 4);
    auto diff = runAnalyzer({"diff", files[1], files[3], "--format", "json"});
    INFO(diff.err);
    REQUIRE(diff.exit_code == 0);
    auto parsed = nlohmann::json::parse(diff.out);
    REQUIRE(parsed["added"].size() >= 1);
    CHECK(parsed["added"][0]["resource"] == "memory");
    CHECK(parsed["added"][0]["stack"][0]["function"] == "synthetic_leaky_function");
    CHECK(parsed["added"][0]["count"] == 6);  // blocks 6..11 were allocated after snapshot 1

    auto markdown = runAnalyzer({"diff", files[1], files[3], "--format", "markdown"});
    INFO(markdown.err);
    REQUIRE(markdown.exit_code == 0);
    CHECK(markdown.out.rfind("## leakscope diff", 0) == 0);
    CHECK(markdown.out.find("### Created after A and live at B: ") != std::string::npos);
    CHECK(markdown.out.find("| 1 | ") != std::string::npos);
    CHECK(markdown.out.find("synthetic\\_leaky\\_function") != std::string::npos);  // escaped for the table

    // Help and behaviour agree: --help lists exactly the formats diff writes, and the formats that
    // describe a whole report are refused with one line naming the format and the ones it accepts.
    auto help = runAnalyzer({"diff", "--help"});
    REQUIRE(help.exit_code == 0);
    CHECK(help.out.find("Output format: text, json, markdown ") != std::string::npos);
    for (const char* format : {"junit", "sarif", "folded", "html"}) {
        CHECK(help.out.find(format) == std::string::npos);
        auto refused = runAnalyzer({"diff", files[1], files[3], "--format", format});
        requireOneLine(refused, std::string("--format: ") + format + " not in {text,json,markdown}");
    }
}

TEST_CASE("end to end: check names the leaking function, suppression and baseline make it pass") {
    TemporaryDirectory dir;
    auto run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_ANALYZER_LEAKY_PROGRAM, "10"}, {"--check"});
    INFO("stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == 1);
    auto growth = findingsOfType(run.report, "growth");
    bool named = false, socket = false;
    for (const auto& finding : growth) {
        named = named || topFunction(finding) == "leak_per_cycle";
        socket = socket || (finding.value("handle_kind", "") == "socket" && topFunction(finding) == "open_socket_per_cycle");
    }
    CHECK(named);
    CHECK(socket);
    for (const auto& finding : growth) CHECK_FALSE(stackHasFunction(finding, "fill_cache_once"));

    std::string suppressions = dir.path() + "/e2e.supp";
    writeFile(suppressions, "growth:leak_per_cycle\ngrowth:open_socket_per_cycle\nleaked_handle:open_socket_per_cycle\n");
    CHECK(runAnalyzer({"check", run.snapshot_dir, "--suppressions", suppressions}).exit_code == 0);
    std::string baseline = dir.path() + "/e2e-baseline.json";
    CHECK(runAnalyzer({"check", run.snapshot_dir, "--baseline", baseline, "--update-baseline"}).exit_code == 0);
    CHECK(runAnalyzer({"check", run.snapshot_dir, "--baseline", baseline}).exit_code == 0);
}
