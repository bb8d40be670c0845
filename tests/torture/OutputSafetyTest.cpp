// Where snapshots go must never be a way to attack or break the host program: a symlinked or
// foreign-owned output directory is refused, an output path that cannot be a directory or a full disk
// costs one warning line, and in every case the program's own output and exit code are unchanged.
// Directories the preload creates are 0700, snapshot files 0600, and no temporary file is left behind.
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "ProcessRunner.h"
#include "Skip.h"
#include "ToolRun.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;

namespace {

// A quick program with a fixed output: it allocates at the bottom of a deep recursion and exits.
const std::vector<std::string> kProgram = {LEAKSCOPE_TARGET_TORTURE_DEEP_RECURSION};

// Files in `dir`, process records (`.proc-…`) apart: one stays where a process could not write its exit
// snapshot, so that the report says it was not judged (tests/torture/ProcessRecordTest.cpp).
size_t countFiles(const std::string& dir, bool records = false) {
    size_t files = 0;
    std::error_code error;
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
        files += it->path().filename().string().starts_with(".proc-") == records;
    return files;
}

// Runs the program plainly and under the preload (snapshots to `output_dir`, plus `environment`);
// requires the same stdout and exit code and exactly one stderr line that contains `warning`.
void requireOneWarningOnly(const std::string& output_dir, const std::string& warning,
                           const std::map<std::string, std::string>& environment = {},
                           const std::vector<std::string>& program = kProgram) {
    TemporaryDirectory cwd;  // where a relative or fallback (./leakscope-out) output directory lands
    leakscope::testing::ProcessOptions options;
    options.set_env = environment;
    options.working_directory = cwd.path();
    ProcessResult plain = leakscope::testing::runProcess(program, options);
    ProcessResult traced = leakscope::testing::runWithPreload(output_dir, program, options);
    std::string settings = "LEAKSCOPE_OUTPUT_DIR=" + output_dir;
    for (const auto& [name, value] : environment) settings += " " + name + "=\"" + value.substr(0, 80) + "\"";
    INFO(settings << "\nplain exit " << plain.exit_code << ", traced exit " << traced.exit_code
                  << "\ntraced stderr: " << traced.err);
    CHECK(traced.exit_code == plain.exit_code);
    CHECK(traced.out == plain.out);
    CHECK(std::count(traced.err.begin(), traced.err.end(), '\n') == 1);
    CHECK(traced.err.find(warning) != std::string::npos);
}

// The output directory is refused (or unusable): one warning, the program unaffected.
void requireRefusedWithOneWarning(const std::string& output_dir, const std::string& warning) {
    requireOneWarningOnly(output_dir, warning);
}

}  // namespace

TEST_CASE("created output directories are 0700, snapshots 0600, no temporary files remain", "[torture]") {
    TemporaryDirectory root;
    std::string output = root.path() + "/new/nested";
    ProcessResult traced = leakscope::testing::runWithPreload(output, kProgram);
    REQUIRE(traced.exit_code == 0);
    for (const std::string& dir : {root.path() + "/new", output}) {
        struct stat status {};
        REQUIRE(lstat(dir.c_str(), &status) == 0);
        CHECK((status.st_mode & 07777) == 0700);
    }
    auto snapshots = leakscope::testing::listSnapshots(output);
    REQUIRE(snapshots.size() == 1);
    struct stat status {};
    REQUIRE(lstat(snapshots[0].c_str(), &status) == 0);
    CHECK((status.st_mode & 07777) == 0600);
    CHECK(countFiles(output) == 1);  // nothing but the snapshot: no .tmp- leftovers
}

TEST_CASE("a symlinked output directory is refused with one warning", "[torture]") {
    TemporaryDirectory root;
    std::filesystem::create_directory(root.path() + "/target");
    std::filesystem::create_directory_symlink(root.path() + "/target", root.path() + "/link");
    requireRefusedWithOneWarning(root.path() + "/link", "symbolic link");
    CHECK(countFiles(root.path() + "/target") == 0);
}

TEST_CASE("an output directory owned by another user is refused with one warning", "[torture]") {
    if (geteuid() != 0) {
        SKIP_TEST("not root: cannot make a directory owned by another user");
    }
    TemporaryDirectory root;
    std::string foreign = root.path() + "/foreign";
    std::filesystem::create_directory(foreign);
    REQUIRE(chown(foreign.c_str(), 65534, 65534) == 0);  // nobody
    requireRefusedWithOneWarning(foreign, "another user");
    CHECK(countFiles(foreign) == 0);
}

TEST_CASE("an output path below a regular file costs one warning and nothing else", "[torture]") {
    TemporaryDirectory root;
    leakscope::testing::writeFile(root.path() + "/file", "not a directory\n");
    requireRefusedWithOneWarning(root.path() + "/file/snapshots", "snapshot not written");
}

TEST_CASE("an output directory that cannot be made costs one warning in every program, echo too", "[torture]") {
    // echo allocates nothing, snapshots only at exit, and closes its stderr before (coreutils'
    // close_stdout): the warning must come while fd 2 is still the stderr it started with.
    for (const std::vector<std::string>& program : {kProgram, std::vector<std::string>{"/bin/echo", "hello"}}) {
        INFO("program: " << program[0]);
        requireOneWarningOnly("/proc/nope", "snapshot not written: output directory /proc/nope cannot be created", {}, program);
    }
}

TEST_CASE("a full disk costs one warning and leaves no partial file", "[torture]") {
    TemporaryDirectory root;
    std::string tiny = root.path() + "/tiny";
    std::filesystem::create_directory(tiny);
    // A small tmpfs, filled up. Needs CAP_SYS_ADMIN; skipped without it.
    if (mount("tmpfs", tiny.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
        SKIP_TEST("cannot mount a tmpfs here (" << std::strerror(errno) << ")");
    }
    struct UnmountAtEnd {
        std::string path;
        ~UnmountAtEnd() { umount2(path.c_str(), MNT_DETACH); }  // also when a check above throws
    } unmount{tiny};
    {
        std::ofstream filler(tiny + "/filler", std::ios::binary);
        std::string block(4096, 'x');
        while (filler.write(block.data(), block.size()) && filler.flush()) {
        }
    }
    requireRefusedWithOneWarning(tiny, "No space left on device");
    CHECK(countFiles(tiny) == 1);  // the filler only: the partial snapshot was removed
    CHECK(countFiles(tiny, true) == 1);  // the record of the process whose exit snapshot failed
}

TEST_CASE("under strace -f the program's threads open no snapshot file, which is still written and renamed",
          "[torture]") {
    // Snapshots are written by a helper thread made with CLONE_UNTRACED and its own copy of the fd table
    // (docs/architecture.md, "Host-safety contract: fds"): a tracer of the program (strace -f, gdb) does
    // not follow it, and none of the program's traced threads opens or renames a snapshot file. The
    // writer's open flags are tested by their effect (tests/preload/SnapshotWriterTest.cpp: O_EXCL,
    // a planted symlink, mode 0600). strace runs outside the preload (-E sets the program's environment).
    std::string strace = "/usr/bin/strace";
    if (access(strace.c_str(), X_OK) != 0) {
        SKIP_TEST("strace is not installed");
    }
    TemporaryDirectory root;
    std::string output = root.path() + "/snapshots";
    ProcessResult traced = leakscope::testing::runProcess(
        {strace, "-f", "-qq", "-e", "trace=open,openat,rename,renameat,renameat2", "-o", root.path() + "/calls",
         "-E", "LD_PRELOAD=" + leakscope::testing::preloadPath(), "-E", "LEAKSCOPE_OUTPUT_DIR=" + output,
         kProgram[0]});
    REQUIRE(traced.exit_code == 0);
    std::string calls = leakscope::testing::readFile(root.path() + "/calls");
    INFO("system calls:\n" << calls);
    CHECK(calls.find(".lksnap") == std::string::npos);
    auto snapshots = leakscope::testing::listSnapshots(output);
    REQUIRE(snapshots.size() == 1);
    CHECK(snapshots[0].ends_with("-exit.lksnap"));
    struct stat status {};
    REQUIRE(stat(snapshots[0].c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0600);
    CHECK(countFiles(output) == 1);  // no .tmp- file left: it was renamed into place
}

TEST_CASE("an unwritable output directory costs one warning and nothing else", "[torture]") {
    TemporaryDirectory root;
    std::string locked = root.path() + "/locked";
    std::filesystem::create_directory(locked);
    if (geteuid() != 0) {
        REQUIRE(chmod(locked.c_str(), 0500) == 0);
        requireRefusedWithOneWarning(locked, "not writable");
        chmod(locked.c_str(), 0700);
        return;
    }
    // root writes through any mode bits: a read-only tmpfs is what is unwritable for it.
    if (mount("tmpfs", locked.c_str(), "tmpfs", MS_RDONLY, "size=64k,mode=0700") != 0) {
        SKIP_TEST("cannot mount a read-only tmpfs here (" << std::strerror(errno) << ")");
    }
    struct UnmountAtEnd {
        std::string path;
        ~UnmountAtEnd() { umount2(path.c_str(), MNT_DETACH); }
    } unmount{locked};
    requireRefusedWithOneWarning(locked, "not writable");
    CHECK(countFiles(locked) == 0);
}

TEST_CASE("a file size limit (RLIMIT_FSIZE) costs one warning, not a SIGXFSZ death", "[torture]") {
    // With `ulimit -f`, a write past the limit raises SIGXFSZ, which kills by default: the snapshot the
    // program never asked for must not be what kills it. 4 KiB is less than any snapshot. The shell
    // sets the limit and execs the program; only the program gets the preload.
    TemporaryDirectory root;
    std::string output = root.path() + "/snapshots";
    ProcessResult plain = leakscope::testing::runProcess({"/bin/sh", "-c", "ulimit -f 4 && exec \"$0\"", kProgram[0]});
    ProcessResult traced = leakscope::testing::runProcess(
        {"/bin/sh", "-c", "ulimit -f 4 && export LD_PRELOAD=\"$1\" LEAKSCOPE_OUTPUT_DIR=\"$2\" && exec \"$0\"",
         kProgram[0], leakscope::testing::preloadPath(), output});
    INFO("plain exit " << plain.exit_code << ", traced exit " << traced.exit_code << "\ntraced stderr: " << traced.err);
    CHECK(traced.exit_code == plain.exit_code);
    CHECK(traced.out == plain.out);
    CHECK(std::count(traced.err.begin(), traced.err.end(), '\n') == 1);
    CHECK(traced.err.find("File too large") != std::string::npos);
    CHECK(countFiles(output) == 0);  // the partial file was removed
    CHECK(countFiles(output, true) == 1);
}

TEST_CASE("bad preload environment values cost one warning each and change nothing", "[torture]") {
    TemporaryDirectory root;
    struct BadValue {
        std::string variable, value;
    };
    const std::vector<BadValue> bad = {
        {"LEAKSCOPE_DEPTH", "abc"},       {"LEAKSCOPE_DEPTH", "0"},
        {"LEAKSCOPE_DEPTH", "257"},       {"LEAKSCOPE_DEPTH", "-1"},
        {"LEAKSCOPE_DEPTH", ""},          {"LEAKSCOPE_DEPTH", "99999999999999999999999"},
        {"LEAKSCOPE_TRACK", "bogus"},     {"LEAKSCOPE_TRACK", "memory,,files"},
        {"LEAKSCOPE_INTERVAL_MS", "abc"}, {"LEAKSCOPE_INTERVAL_MS", "-5"},
        {"LEAKSCOPE_FOLLOW_EXEC", "yes"}, {"LEAKSCOPE_LOG", "loud"},
        {"LEAKSCOPE_SNAP_SIGNAL", "9"},   {"LEAKSCOPE_SNAP_SIGNAL", "abc"},
        {"LEAKSCOPE_FAIL_ALLOC", "bogus=1"}, {"LEAKSCOPE_FAIL_ALLOC", "nth=0"},
        {"LEAKSCOPE_FAIL_ALLOC", std::string(2000, 'x')},
        {"LEAKSCOPE_SECCOMP", "yes"},     {"LEAKSCOPE_SECCOMP", ""},
    };
    for (const BadValue& value : bad)
        requireOneWarningOnly(root.path() + "/snapshots", value.variable, {{value.variable, value.value}});
    // Two that are not about a variable's own content: an empty and an overlong output directory.
    requireOneWarningOnly("", "LEAKSCOPE_OUTPUT_DIR");
    requireOneWarningOnly(std::string(5000, 'd'), "LEAKSCOPE_OUTPUT_DIR");
}
