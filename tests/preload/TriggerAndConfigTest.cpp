// Snapshot triggers (external request, interval) and configuration errors: bad values and unusable
// output directories are one warning line each, and the program runs on unchanged.
#include <catch2/catch.hpp>
#include <filesystem>
#include <sys/stat.h>

#include "PreloadTestSupport.h"

using namespace leakscope::testing;

TEST_CASE("an external request (signal + request file) writes a snapshot with the requested label") {
    TemporaryDirectory dir;
    std::filesystem::create_directories(dir.path() + "/out");
    std::string out = dir.path() + "/out";
    ProcessResult run = runWithPreload(out, {LEAKSCOPE_TARGET_TESTPROG_LIFECYCLE_TRIGGERS, "external", out});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "request file consumed\n");
    auto poked = snapshotsLabelled(out, "poked");
    REQUIRE(poked.size() == 1);
    nlohmann::json shown = showSnapshot(poked[0]);
    CHECK(shown.at("trigger") == "external");
    CHECK(allocationsFrom(shown, "trigger_keep_block").size() == 1);
}

TEST_CASE("LEAKSCOPE_INTERVAL_MS takes periodic snapshots labelled interval") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.set_env["LEAKSCOPE_INTERVAL_MS"] = "40";
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_LIFECYCLE_TRIGGERS, "interval", "400"},
                                       options);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    auto intervals = snapshotsLabelled(dir.path(), "interval");
    CHECK(intervals.size() >= 3);
    if (!intervals.empty()) CHECK(showSnapshot(intervals[0]).at("trigger") == "interval");
    CHECK(snapshotsLabelled(dir.path(), "exit").size() == 1);
}

TEST_CASE("a bad configuration value is one warning line and the default is used") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.set_env["LEAKSCOPE_DEPTH"] = "abc";
    options.set_env["LEAKSCOPE_INTERVAL_MS"] = "-5";
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_KNOWN_ALLOCATIONS}, options);
    REQUIRE(run.exit_code == 0);
    auto lines = diagnosticLines(run.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "leakscope: LEAKSCOPE_DEPTH=\"abc\" is not a number from 1 to 256; using 32");
    CHECK(lines[1].find("LEAKSCOPE_INTERVAL_MS=\"-5\"") != std::string::npos);
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    CHECK(showSnapshot(exits[0]).at("stack_depth_limit") == 32);
}

TEST_CASE("output directory: created 0700, snapshot files 0600, no temporary files left") {
    TemporaryDirectory dir;
    std::string out = dir.path() + "/nested/snapshots";
    ProcessResult run = runWithPreload(out, {LEAKSCOPE_TARGET_TESTPROG_KNOWN_ALLOCATIONS});
    REQUIRE(run.exit_code == 0);
    struct stat status {};
    REQUIRE(stat(out.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0700);
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
        ++files;
        INFO(entry.path());
        CHECK(entry.path().extension() == ".lksnap");
        REQUIRE(stat(entry.path().c_str(), &status) == 0);
        CHECK((status.st_mode & 0777) == 0600);
    }
    CHECK(files == 2);
}

TEST_CASE("a symlinked or unwritable output directory is one warning and the program runs on") {
    TemporaryDirectory dir;
    std::filesystem::create_directories(dir.path() + "/real");
    std::filesystem::create_directory_symlink(dir.path() + "/real", dir.path() + "/link");
    const std::string unusable[] = {dir.path() + "/link", "/proc/leakscope-cannot-create"};
    for (const auto& out : unusable) {
        ProcessResult run = runWithPreload(out, {LEAKSCOPE_TARGET_TESTPROG_KNOWN_ALLOCATIONS});
        INFO(out << ": " << run.err);
        CHECK(run.exit_code == 0);
        CHECK(run.out == "allocated 15 blocks, preload active\n");
        auto lines = diagnosticLines(run.err);
        REQUIRE(lines.size() == 1);  // two snapshots were attempted; one warning
        CHECK(lines[0].find(out) != std::string::npos);
    }
    CHECK(listSnapshots(dir.path()).empty());
}
