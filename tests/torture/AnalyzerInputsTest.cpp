// Every way we could think of to misuse the `leakscope` command line: a missing, empty, truncated or
// wrong-version file, a directory where a file belongs (and the reverse), a value of the wrong type,
// an unknown flag, a flag without its value. The contract (docs/architecture.md): one clear line on
// stderr naming what is wrong, nothing on stdout, exit code 2. Never a crash, never a silent success.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "ProcessRunner.h"
#include "ToolRun.h"

using leakscope::testing::ProcessOptions;
using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;
using leakscope::testing::writeFile;

namespace {

struct Misuse {
    std::vector<std::string> args;  // relative paths refer to the files prepareInputs makes
    std::string must_mention;       // the culprit the message has to name (file, flag or value)
};

// Inputs, in a fresh directory: a valid snapshot (snaps/good.lksnap), an empty file, a text file, a
// truncated and a future-version copy of the snapshot, an empty directory.
void prepareInputs(const std::string& dir) {
    std::filesystem::create_directories(dir + "/snaps");
    std::filesystem::create_directories(dir + "/emptydir");
    // The valid snapshot comes from a real run of this build's preload, so it always has today's format.
    ProcessResult sample = leakscope::testing::runWithPreload(dir + "/sample", {LEAKSCOPE_TARGET_TORTURE_EXCEPTION_STORM});
    REQUIRE(sample.exit_code == 0);
    std::vector<std::string> written = leakscope::testing::listSnapshots(dir + "/sample");
    REQUIRE_FALSE(written.empty());
    std::string snapshot = leakscope::testing::readFile(written.back());
    writeFile(dir + "/snaps/good.lksnap", snapshot);
    writeFile(dir + "/empty.lksnap", "");
    writeFile(dir + "/text.txt", "hello\n");
    writeFile(dir + "/truncated.lksnap", snapshot.substr(0, snapshot.size() / 2));
    std::string future = snapshot;
    future[8] = 4;  // FileHeader::version, little-endian low byte: one past the newest (3)
    writeFile(dir + "/future.lksnap", future);
    std::filesystem::create_directory_symlink("emptydir", dir + "/link-to-emptydir");
}

void requireOneClearLine(const Misuse& misuse, const std::string& dir) {
    ProcessOptions options;
    options.working_directory = dir;
    options.timeout = std::chrono::seconds(60);
    options.set_env["LEAKSCOPE_PRELOAD"] = leakscope::testing::preloadPath();
    ProcessResult result = leakscope::testing::runAnalyzer(misuse.args, options);
    std::string command = "leakscope";
    for (const auto& arg : misuse.args) command += " '" + arg + "'";
    INFO(command << "\nexit " << result.exit_code << "\nstdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    CHECK(result.err.back() == '\n');
    CHECK(result.err.find(misuse.must_mention) != std::string::npos);
}

void requireAllRejected(const std::vector<Misuse>& misuses) {
    TemporaryDirectory dir;
    prepareInputs(dir.path());
    for (const Misuse& misuse : misuses) {
        std::string name;
        for (const auto& arg : misuse.args) name += arg + " ";
        DYNAMIC_SECTION(name) { requireOneClearLine(misuse, dir.path()); }
    }
}

}  // namespace

TEST_CASE("every misused analyzer argument gives one clear line and exit 2", "[torture]") {
    requireAllRejected({
        // no command, and every command without its required argument
        {{}, "subcommand"},
        {{"show"}, "FILE"},
        {{"diff", "snaps/good.lksnap"}, "B"},
        {{"report"}, "INPUTS"},
        {{"check"}, "INPUTS"},
        {{"snap"}, "PID"},
        {{"run"}, "PROG"},
        {{"run", "--"}, "PROG"},
        // snapshot files: missing, empty, a directory, not a snapshot, truncated, a future version
        {{"show", "missing.lksnap"}, "missing.lksnap"},
        {{"show", "empty.lksnap"}, "empty.lksnap"},
        {{"show", "emptydir"}, "emptydir"},
        {{"show", "text.txt"}, "text.txt"},
        {{"show", "truncated.lksnap"}, "truncated.lksnap"},
        {{"show", "future.lksnap"}, "version"},
        {{"show", "snaps/good.lksnap", "extra"}, "extra"},
        {{"diff", "snaps/good.lksnap", "missing.lksnap"}, "missing.lksnap"},
        {{"diff", "emptydir", "snaps/good.lksnap"}, "emptydir"},
        {{"diff", "snaps/good.lksnap", "truncated.lksnap"}, "truncated.lksnap"},
        {{"report", "missing"}, "missing"},
        {{"report", "emptydir"}, "emptydir"},
        {{"report", "empty.lksnap"}, "empty.lksnap"},
        {{"report", "text.txt"}, "text.txt"},
        {{"check", "snaps", "future.lksnap", "--strict"}, "future.lksnap"},  // without --strict: skipped, the rest analysed
        // flags: unknown, without a value, with a value of the wrong type or out of range
        {{"report", "snaps", "--bogus"}, "--bogus"},
        {{"diff", "snaps/good.lksnap", "snaps/good.lksnap", "--format"}, "--format"},
        {{"diff", "snaps/good.lksnap", "snaps/good.lksnap", "--format", "bogus"}, "bogus"},
        {{"report", "snaps", "--warmup"}, "--warmup"},
        {{"report", "snaps", "--warmup", "abc"}, "abc"},
        {{"report", "snaps", "--warmup", "-1"}, "-1"},
        {{"report", "snaps", "--label"}, "--label"},
        {{"report", "snaps", "--output"}, "--output"},
        {{"report", "snaps", "--format", "json", "--output", "/nonexistent-dir/report.json"}, "/nonexistent-dir/report.json"},
        {{"report", "snaps", "--format", "json", "--output", "emptydir"}, "emptydir"},
        {{"check", "snaps", "--max-bytes-per-cycle", "abc"}, "abc"},
        {{"check", "snaps", "--max-exit-bytes", "1x"}, "1x"},
        {{"check", "snaps", "--fail-on", "bogus"}, "bogus"},
        {{"check", "snaps", "--update-baseline"}, "--baseline"},
        // gate files: missing, a snapshot (wrong type), a directory
        {{"check", "snaps", "--suppressions", "missing.supp"}, "missing.supp"},
        {{"check", "snaps", "--suppressions", "snaps/good.lksnap"}, "snaps/good.lksnap"},
        {{"check", "snaps", "--baseline", "missing.json"}, "missing.json"},
        {{"check", "snaps", "--baseline", "text.txt"}, "text.txt"},
        {{"check", "snaps", "--baseline", "emptydir"}, "emptydir"},
        // run and snap
        {{"run", "--depth", "abc", "--", "true"}, "abc"},
        {{"run", "--depth", "0", "--", "true"}, "--depth"},
        {{"run", "--depth", "999", "--", "true"}, "--depth"},
        {{"run", "--interval", "-5", "--", "true"}, "--interval"},
        {{"run", "--out"}, "--out"},
        {{"run", "--format", "bogus", "--", "true"}, "bogus"},
        {{"run", "--bogus", "--", "true"}, "--bogus"},
        {{"run", "--", "/nonexistent/program"}, "/nonexistent/program"},
        {{"snap", "abc"}, "abc"},
        {{"snap", "-5"}, "-5"},
        {{"snap", "999999999"}, "999999999"},
        {{"snap", "1"}, "1"},
        {{"snap", ""}, "PID"},
        // an unknown command or a flag in place of one
        {{"frobnicate"}, "frobnicate"},
        {{"--bogus"}, "--bogus"},
        {{"--bogus", "report", "snaps"}, "--bogus"},
        // empty strings where a file or value belongs
        {{"show", ""}, "FILE"},
        {{"diff", "", "snaps/good.lksnap"}, "A"},
        {{"report", ""}, "INPUTS"},
        {{"report", "snaps", "--format", ""}, "--format"},
        {{"report", "snaps", "--format", "json", "--output", ""}, "--output"},
        {{"report", "snaps", "--label", ""}, "--label"},
        {{"check", "snaps", "--fail-on", ""}, "--fail-on"},
        {{"check", "snaps", "--suppressions", ""}, "--suppressions"},
        {{"check", "snaps", "--baseline", ""}, "--baseline"},
        {{"run", "--out", "", "--", "true"}, "--out"},
        {{"run", "--fail-alloc", "", "--", "true"}, "--fail-alloc"},
        {{"run", "--", ""}, "PROG"},
        // numbers out of range or of the wrong type
        {{"check", "snaps", "--max-handles-per-cycle", "-3"}, "-3"},
        {{"check", "snaps", "--max-bytes-per-cycle", "-1"}, "-1"},
        {{"check", "snaps", "--max-exit-bytes", "99999999999999999999999"}, "99999999999999999999999"},
        {{"report", "snaps", "--warmup", "1.5"}, "1.5"},
        {{"run", "--interval", "abc", "--", "true"}, "abc"},
        {{"run", "--depth", "", "--", "true"}, "--depth"},
        // gate files of the wrong kind
        {{"check", "snaps", "--suppressions", "emptydir"}, "emptydir"},
        {{"check", "snaps", "--suppressions", "text.txt"}, "text.txt"},
        {{"check", "snaps", "--baseline", "snaps/good.lksnap"}, "snaps/good.lksnap"},
        // run: an --out that cannot be a snapshot directory, a bad fault-injection spec
        {{"run", "--out", "text.txt", "--", "true"}, "text.txt"},
        {{"run", "--out", "link-to-emptydir", "--", "true"}, "link-to-emptydir"},
        {{"run", "--out", "snaps", "--", "true"}, "snaps"},  // holds a snapshot already (docs/cli.md)
        {{"run", "--fail-alloc", "bogus=1", "--", "true"}, "bogus=1"},
        {{"run", "--fail-alloc", "nth=0", "--", "true"}, "nth=0"},
        {{"run", "--fail-alloc", "every=x", "--", "true"}, "every=x"},
        {{"run", "--fail-alloc", "nth=1,,above=3", "--", "true"}, "empty condition"},
        {{"run", "--fail-alloc", "function=", "--", "true"}, "function="},
        {{"run", "--check", "--max-exit-bytes", "-5", "--", "true"}, "-5"},
    });
}

// `run --out DIR` must never produce a report that mixes two runs (docs/cli.md): a directory holding
// an earlier run's snapshots, even in a subdirectory, is refused before the program starts; --force
// deletes those snapshot files first; without --out every run gets a directory of its own.
TEST_CASE("run never mixes two runs' snapshots in one report", "[torture]") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.working_directory = dir.path();
    options.timeout = std::chrono::seconds(60);
    options.set_env["LEAKSCOPE_PRELOAD"] = leakscope::testing::preloadPath();
    const std::string program = LEAKSCOPE_TARGET_TORTURE_EXCEPTION_STORM;
    auto run = [&](std::vector<std::string> tool_args) {
        std::vector<std::string> args = {"run"};
        args.insert(args.end(), tool_args.begin(), tool_args.end());
        args.insert(args.end(), {"--format", "json", "--output", "report.json", "--", program});
        std::filesystem::remove(dir.path() + "/report.json");
        return leakscope::testing::runAnalyzer(args, options);
    };
    auto processesInReport = [&] {
        auto report = nlohmann::json::parse(leakscope::testing::readFile(dir.path() + "/report.json"));
        return report["processes"].size();
    };

    ProcessResult first = run({"--out", "out"});
    INFO("first run stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    std::vector<std::string> first_snapshots = leakscope::testing::listSnapshots(dir.path() + "/out");
    REQUIRE(first_snapshots.size() == 1);

    SECTION("a second run into the same directory is refused before the program starts") {
        ProcessResult second = run({"--out", "out"});
        INFO("second run stderr: " << second.err);
        CHECK(second.exit_code == 2);
        CHECK(second.out.empty());  // the program did not run: it would have printed its summary
        CHECK(std::count(second.err.begin(), second.err.end(), '\n') == 1);
        CHECK(second.err.find("--force") != std::string::npos);
        CHECK(leakscope::testing::listSnapshots(dir.path() + "/out") == first_snapshots);
    }
    SECTION("snapshots in a subdirectory count too: the report reads the whole tree") {
        std::filesystem::create_directories(dir.path() + "/parent/sub");
        std::filesystem::copy_file(first_snapshots[0], dir.path() + "/parent/sub/old.lksnap");
        ProcessResult nested = run({"--out", "parent"});
        INFO("stderr: " << nested.err);
        CHECK(nested.exit_code == 2);
        CHECK(nested.err.find("parent") != std::string::npos);
    }
    SECTION("--force deletes the earlier snapshots, and only those, then runs") {
        leakscope::testing::writeFile(dir.path() + "/out/notes.txt", "mine\n");
        ProcessResult forced = run({"--out", "out", "--force"});
        INFO("forced run stderr: " << forced.err);
        CHECK(forced.exit_code == 0);
        std::vector<std::string> now = leakscope::testing::listSnapshots(dir.path() + "/out");
        REQUIRE(now.size() == 1);
        CHECK(now[0] != first_snapshots[0]);
        CHECK(processesInReport() == 1);
        CHECK(leakscope::testing::readFile(dir.path() + "/out/notes.txt") == "mine\n");
    }
    SECTION("without --out, each run writes to a new directory") {
        REQUIRE(run({}).exit_code == 0);
        CHECK(processesInReport() == 1);
        REQUIRE(run({}).exit_code == 0);
        CHECK(processesInReport() == 1);
        size_t directories = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/leakscope-out")) {
            ++directories;
            CHECK(leakscope::testing::listSnapshots(entry.path().string()).size() == 1);
        }
        CHECK(directories == 2);
    }
}
