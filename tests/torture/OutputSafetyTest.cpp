// Where snapshots go must never be a way to attack or break the host program: a symlinked or
// foreign-owned output directory is refused, an output path that cannot be a directory or a full disk
// costs one warning line, and in every case the program's own output and exit code are unchanged.
// Directories the preload creates are 0700, snapshot files 0600, and no temporary file is left behind.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "ProcessRunner.h"
#include "ToolRun.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;

namespace {

// A quick program with a fixed output: it allocates at the bottom of a deep recursion and exits.
const std::vector<std::string> kProgram = {LEAKSCOPE_TARGET_TORTURE_DEEP_RECURSION};

size_t countFiles(const std::string& dir) {
    size_t files = 0;
    std::error_code error;
    for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) ++files;
    return files;
}

// Runs the program with snapshots sent to `output_dir`; requires output and exit code as without the
// tool and exactly one warning line on stderr that contains `warning`.
void requireRefusedWithOneWarning(const std::string& output_dir, const std::string& warning) {
    ProcessResult plain = leakscope::testing::runProcess(kProgram);
    ProcessResult traced = leakscope::testing::runWithPreload(output_dir, kProgram);
    INFO("LEAKSCOPE_OUTPUT_DIR=" << output_dir << "\nstderr: " << traced.err);
    CHECK(traced.exit_code == plain.exit_code);
    CHECK(traced.out == plain.out);
    CHECK(std::count(traced.err.begin(), traced.err.end(), '\n') == 1);
    CHECK(traced.err.find(warning) != std::string::npos);
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
        WARN("not root: cannot make a directory owned by another user; skipped");
        return;
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

TEST_CASE("a full disk costs one warning and leaves no partial file", "[torture]") {
    TemporaryDirectory root;
    std::string tiny = root.path() + "/tiny";
    std::filesystem::create_directory(tiny);
    // A small tmpfs, filled up. Needs CAP_SYS_ADMIN; skipped without it.
    if (mount("tmpfs", tiny.c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) {
        WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "): skipped");
        return;
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
}
