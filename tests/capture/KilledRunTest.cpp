// The analyzer over what a killed run left (issue 16 kind 13): a writer's temporary, a corrupt file or
// a file cut short among good snapshots is skipped with one line, and the rest is analysed; exit 2 only
// when nothing is usable, or with --strict.
#include <catch2/catch.hpp>

#include <filesystem>

#include "ToolRun.h"

using namespace leakscope::testing;
namespace fs = std::filesystem;

namespace {

// Snapshots of a real run (5 cycles leaking an fd and 32 B each) in <dir>/snapshots.
ToolRun goodRun(const std::string& dir) {
    ToolRun run = runUnderTool(dir, {LEAKSCOPE_TARGET_CAPTUREPROG_PTEXIT});
    REQUIRE(run.snapshots().size() >= 5);
    return run;
}

}  // namespace

TEST_CASE("a killed writer's temporary, a corrupt and a truncated file are skipped, the rest analysed",
          "[capture][killed]") {
    TemporaryDirectory directory;
    const ToolRun run = goodRun(directory.path());
    const std::vector<std::string> good = run.snapshots();
    const fs::path dir = run.snapshot_dir;
    // What SIGKILL mid-snapshot leaves: a half-written temporary (not even a header).
    writeFile((dir / (".tmp-00000000000000000001-1-000009-big.lksnap")).string(), std::string(4096, 'x'));
    // A corrupt file and the first half of a real snapshot, under names that sort last.
    writeFile((dir / "99999999999999999998-1-000000-corrupt.lksnap").string(), "not a snapshot at all");
    const std::string whole = readFile(good.front());
    const std::string cut_name = (dir / "99999999999999999999-1-000001-cut.lksnap").string();
    writeFile(cut_name, whole.substr(0, whole.size() / 2));

    const std::string report_path = (fs::path(directory.path()) / "again.json").string();
    const ProcessResult report = runAnalyzer({"report", dir.string(), "--format", "json", "--output", report_path});
    INFO("stderr: " << report.err);
    CHECK(report.exit_code == 0);
    CHECK(report.err.find(".tmp-") == std::string::npos);  // a temporary is not a snapshot: not even named
    CHECK(report.err.find("corrupt.lksnap") != std::string::npos);
    CHECK(report.err.find("cut.lksnap") != std::string::npos);
    const auto json = nlohmann::json::parse(readFile(report_path));
    REQUIRE_FALSE(json["processes"].empty());
    int reported = 0;
    for (const auto& finding : findingsOfType(json, "leaked_handle"))
        if (stackHasFunction(finding, "open_and_forget"))  // one finding, the fds as its components
            reported += componentCount(finding);
    CHECK(reported == 5);  // the good files were analysed as if the bad ones were not there
    // ... and the skipped files are said, not silently left out: the verdict cannot read "clean" over them.
    int skipped_entries = 0;
    for (const auto& item : json["not_judged"]) {
        if (item["what"] != "snapshot") continue;
        const std::string reason = item["reason"];
        if (reason.find("corrupt.lksnap") != std::string::npos || reason.find("cut.lksnap") != std::string::npos)
            ++skipped_entries;
    }
    CHECK(skipped_entries == 2);
    const ProcessResult text = runAnalyzer({"report", dir.string()});
    CHECK(text.out.find("snapshot not judged") != std::string::npos);

    const ProcessResult check = runAnalyzer({"check", dir.string(), "--fail-on", "leaked_handle"});
    CHECK(check.exit_code == 1);  // the gate judged the good files

    const ProcessResult strict = runAnalyzer({"report", dir.string(), "--strict"});
    CHECK(strict.exit_code == 2);
    CHECK(strict.err.find("corrupt.lksnap") != std::string::npos);
}

TEST_CASE("a directory with no usable snapshot is an input error", "[capture][killed]") {
    TemporaryDirectory directory;
    const fs::path dir = fs::path(directory.path()) / "left";
    fs::create_directories(dir);
    writeFile((dir / "00000000000000000001-1-000000-cycle.lksnap").string(), "garbage");
    writeFile((dir / ".tmp-00000000000000000002-1-000001-cycle.lksnap").string(), "garbage");
    const ProcessResult report = runAnalyzer({"report", dir.string()});
    CHECK(report.exit_code == 2);
    CHECK(report.err.find("000000-cycle.lksnap") != std::string::npos);

    const fs::path only_temporary = fs::path(directory.path()) / "tmp-only";
    fs::create_directories(only_temporary);
    writeFile((only_temporary / ".tmp-00000000000000000002-1-000001-cycle.lksnap").string(), "garbage");
    const ProcessResult empty = runAnalyzer({"report", only_temporary.string()});
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("no .lksnap snapshot files") != std::string::npos);
}

TEST_CASE("a run whose only process was killed before its first snapshot reports it as not judged", "[capture][killed]") {
    TemporaryDirectory directory;
    // dash's `kill` is a builtin: the shell, with the preload loaded, kills itself before any snapshot.
    const ToolRun run = runUnderTool(directory.path(), {"/bin/sh", "-c", "kill -KILL $$"}, {"--check"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.snapshots().empty());  // only its process record is left: the case under test
    CHECK(run.process.exit_code == 128 + 9);  // the program's own status (docs/cli.md)
    CHECK(run.process.err.find("wrote no snapshots") == std::string::npos);
    REQUIRE(run.report.is_object());
    CHECK(run.report.value("verdict", "") == "not judged");
    REQUIRE(run.report["not_judged"].size() == 1);
    const auto& entry = run.report["not_judged"][0];
    CHECK(entry.value("what", "") == "process");
    CHECK(entry.value("command", "") == "sh");
    CHECK(entry.value("reason", "").starts_with("ended without a final snapshot"));

    // The same directory, analysed afterwards: reported, and not judged is not a failure by itself.
    const ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("process not judged: pid ") != std::string::npos);
    CHECK(check.out.find("not judged") != std::string::npos);
}

TEST_CASE("a run whose snapshot writes all failed (a file size limit) names the error, not a guessed kill",
          "[capture][killed]") {
    // Case 14's `limit` mode: under `ulimit -f` every snapshot write fails with EFBIG (the preload blocks
    // SIGXFSZ), the final one too. The report said "killed by SIGKILL or the OOM killer?"; the preload
    // saw the error, and its process record now keeps it. The shell sets the limit and execs the program.
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {"/bin/sh", "-c", "ulimit -f 1 && exec \"$0\"",
                                                        LEAKSCOPE_TARGET_CAPTUREPROG_PTEXIT});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.snapshots().empty());
    CHECK(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    CHECK(run.report.value("verdict", "") == "not judged");
    REQUIRE(run.report["not_judged"].size() == 1);  // the shell's record was settled by the program's image
    const auto& entry = run.report["not_judged"][0];
    CHECK(entry.value("command", "") == "captureprog_ptexit");
    const std::string reason = entry.value("reason", "");
    CHECK(reason.starts_with("ended without a final snapshot: writing its snapshots failed with EFBIG (File too "
                             "large: a file size limit, RLIMIT_FSIZE or `ulimit -f`, is below a snapshot's size)"));
    CHECK(reason.find("killed") == std::string::npos);
}
