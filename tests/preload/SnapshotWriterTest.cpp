// SnapshotWriter round trips through the analyzer's validating reader, and its file-system rules.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "leakscope/SnapshotReader.h"
#include "leakscope/SnapshotWriter.h"

using namespace leakscope::snapshot;
namespace fs = std::filesystem;

namespace {

struct ScratchDirectory {
    ScratchDirectory() {
        char pattern[] = "/tmp/leakscope-writer-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        fs::permissions(path, fs::perms::owner_all, ignored);
        fs::remove_all(path, ignored);
    }
    std::string path;
};

FileHeader testHeader() {
    FileHeader header{};
    header.trigger = static_cast<uint32_t>(Trigger::Api);
    header.pid = 4242;
    header.ppid = 1;
    header.realtime_ns = 1700000000000000000ull;
    header.monotonic_ns = 123;
    header.process_start_ns = 100;
    header.sequence = 77;
    header.snapshot_index = 5;
    header.stack_depth_limit = 32;
    std::strcpy(header.label, "cycle");
    std::strcpy(header.executable, "/bin/test");
    return header;
}

// Writes a snapshot with `allocation_count` allocations (enough of them to cross the 64 KiB buffer
// several times) and every other section, with a Reachability section (class i % 5 for allocation i)
// when `classified`; returns its path.
std::string writeSample(const std::string& dir, size_t allocation_count, bool classified = false) {
    SnapshotWriter writer;
    REQUIRE(writer.open(dir.c_str(), "sample.lksnap", testHeader()));
    Counters counters{};
    counters.allocations = allocation_count;
    counters.live_allocations = allocation_count;
    if (classified) {
        counters.reachability_status = uint64_t(ReachabilityStatus::Classified);
        counters.reachability_scan_ns = 4321;
    }
    REQUIRE(writer.beginSection(SectionType::Counters, sizeof(Counters)));
    REQUIRE(writer.appendRecord(&counters));
    REQUIRE(writer.endSection());

    REQUIRE(writer.beginSection(SectionType::Modules, sizeof(ModuleRecord)));
    ModuleRecord module{};
    module.load_bias = 0x400000;
    module.start = 0x400000;
    module.end = 0x500000;
    module.path = writer.addString("/usr/lib/libdemo.so", 19);
    module.build_id_size = 3;
    module.build_id[0] = 0xAB;
    module.build_id[1] = 0xCD;
    module.build_id[2] = 0xEF;
    REQUIRE(writer.appendRecord(&module));
    REQUIRE(writer.endSection());

    REQUIRE(writer.beginSection(SectionType::Allocations, sizeof(AllocationRecord)));
    for (size_t i = 0; i < allocation_count; ++i) {
        AllocationRecord allocation{0x1000 + i * 16, i + 1, i + 10, 1, 99};
        REQUIRE(writer.appendRecord(&allocation));
    }
    REQUIRE(writer.endSection());

    if (classified) {
        REQUIRE(writer.beginSection(SectionType::Reachability, sizeof(uint8_t)));
        for (size_t i = 0; i < allocation_count; ++i) {
            const uint8_t reachability = uint8_t(i % 5);
            REQUIRE(writer.appendRecord(&reachability));
        }
        REQUIRE(writer.endSection());
    }

    REQUIRE(writer.beginSection(SectionType::Events, sizeof(EventRecord)));
    EventRecord event{};
    event.kind = static_cast<uint16_t>(EventKind::BadFree);
    event.stack_id = 1;
    event.sequence = 50;
    event.value = 0xDEAD;
    REQUIRE(writer.appendRecord(&event));
    REQUIRE(writer.endSection());

    REQUIRE(writer.beginSection(SectionType::Stacks, 0));
    StackRecordHeader stack{1, 3, kStackTruncated};
    uint64_t frames[3] = {0x400100, 0x400200, 0x400300};
    REQUIRE(writer.appendBytes(&stack, sizeof(stack), 1));
    REQUIRE(writer.appendBytes(frames, sizeof(frames), 0));
    REQUIRE(writer.endSection());
    REQUIRE(writer.commit());
    return dir + "/sample.lksnap";
}

}  // namespace

TEST_CASE("SnapshotWriter: a written snapshot reads back field for field") {
    ScratchDirectory dir;
    std::string path = writeSample(dir.path, 3);
    auto read = readSnapshotFile(path);
    INFO(read.status().message());
    REQUIRE(read.ok());
    const Snapshot& snapshot = *read;
    CHECK(snapshot.pid == 4242);
    CHECK(snapshot.label == "cycle");
    CHECK(snapshot.executable == "/bin/test");
    CHECK(snapshot.snapshot_index == 5);
    CHECK(snapshot.sequence == 77);
    CHECK(snapshot.counters.allocations == 3);
    REQUIRE(snapshot.modules.size() == 1);
    CHECK(snapshot.modules[0].path == "/usr/lib/libdemo.so");
    CHECK(snapshot.modules[0].build_id == std::string("\xAB\xCD\xEF"));
    REQUIRE(snapshot.allocations.size() == 3);
    CHECK(snapshot.allocations[2].address == 0x1020);
    CHECK(snapshot.allocations[2].size == 3);
    REQUIRE(snapshot.stacks.size() == 1);
    CHECK(snapshot.stacks[0].truncated);
    CHECK(snapshot.stacks[0].frames == std::vector<uint64_t>{0x400100, 0x400200, 0x400300});
    REQUIRE(snapshot.events.size() == 1);
    CHECK(snapshot.events[0].value == 0xDEAD);
}

TEST_CASE("SnapshotWriter: sections larger than the write buffer round-trip, mode 0600, no temp file") {
    ScratchDirectory dir;
    std::string path = writeSample(dir.path, 20000);  // 640 KB of allocation records
    auto read = readSnapshotFile(path);
    INFO(read.status().message());
    REQUIRE(read.ok());
    REQUIRE(read->allocations.size() == 20000);
    CHECK(read->allocations[19999].sequence == 19999 + 10);
    struct stat status {};
    REQUIRE(stat(path.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0600);
    size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(dir.path)) {
        ++entries;
        CHECK(entry.path().filename() == "sample.lksnap");
    }
    CHECK(entries == 1);
}

TEST_CASE("SnapshotWriter: a Reachability section larger than the write buffer reads back class for class") {
    ScratchDirectory dir;
    std::string path = writeSample(dir.path, 100000, true);  // 100 KB of classes after 3.2 MB of records
    auto read = readSnapshotFile(path);
    INFO(read.status().message());
    REQUIRE(read.ok());
    CHECK(read->version == kFormatVersion);
    CHECK(read->classified());
    CHECK(read->counters.reachability_scan_ns == 4321);
    REQUIRE(read->reachability.size() == 100000);
    size_t mismatches = 0;
    for (size_t i = 0; i < read->reachability.size(); ++i) mismatches += read->reachabilityOf(i) != Reachability(i % 5);
    CHECK(mismatches == 0);
}

TEST_CASE("SnapshotWriter: a corrupted byte is caught by the section CRC") {
    ScratchDirectory dir;
    std::string path = writeSample(dir.path, 10);
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(sizeof(FileHeader) + sizeof(SectionHeader) + 8));
    file.put('\x55');
    file.close();
    CHECK_FALSE(readSnapshotFile(path).ok());
}

TEST_CASE("SnapshotWriter: an existing file is never overwritten and a failed write leaves nothing") {
    ScratchDirectory dir;
    std::ofstream(dir.path + "/.tmp-taken.lksnap") << "someone else's";
    SnapshotWriter writer;
    CHECK_FALSE(writer.open(dir.path.c_str(), "taken.lksnap", testHeader()));
    CHECK(writer.failed());
    CHECK(std::string(writer.failure()).find("cannot create") != std::string::npos);
    {
        SnapshotWriter abandoned;
        REQUIRE(abandoned.open(dir.path.c_str(), "abandoned.lksnap", testHeader()));
        REQUIRE(abandoned.beginSection(SectionType::Events, sizeof(EventRecord)));
    }  // destroyed without commit()
    CHECK_FALSE(fs::exists(dir.path + "/abandoned.lksnap"));
    CHECK_FALSE(fs::exists(dir.path + "/.tmp-abandoned.lksnap"));
}

// O_CREAT|O_EXCL|O_NOFOLLOW by their effect (the torture test used to read the flags from strace; the
// preload's writer now runs on a helper thread a tracer does not follow): a symlink planted at the
// temporary name is neither followed nor replaced.
TEST_CASE("SnapshotWriter: a symlink planted at the temporary name is not followed") {
    ScratchDirectory dir;
    const std::string target = dir.path + "/elsewhere";
    fs::create_symlink(target, dir.path + "/.tmp-planted.lksnap");
    SnapshotWriter writer;
    CHECK_FALSE(writer.open(dir.path.c_str(), "planted.lksnap", testHeader()));
    CHECK_FALSE(fs::exists(target));
    CHECK(fs::is_symlink(dir.path + "/.tmp-planted.lksnap"));
    CHECK_FALSE(fs::exists(dir.path + "/planted.lksnap"));
}

TEST_CASE("prepareOutputDirectory: creates 0700 directories and refuses symlinks and non-directories") {
    ScratchDirectory dir;
    char why[512];
    std::string nested = dir.path + "/a/b/c";
    REQUIRE(prepareOutputDirectory(nested.c_str(), why, sizeof(why)));
    struct stat status {};
    REQUIRE(stat(nested.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0700);

    std::string link = dir.path + "/link";
    fs::create_directory_symlink(nested, link);
    CHECK_FALSE(prepareOutputDirectory(link.c_str(), why, sizeof(why)));
    CHECK(std::string(why).find("symbolic link") != std::string::npos);

    std::string plain_file = dir.path + "/file";
    std::ofstream(plain_file) << "x";
    CHECK_FALSE(prepareOutputDirectory(plain_file.c_str(), why, sizeof(why)));
    CHECK(std::string(why).find(plain_file) != std::string::npos);
}

TEST_CASE("formatSnapshotFileName: zero-padded time and index, sanitised label") {
    char name[256];
    REQUIRE(formatSnapshotFileName(name, sizeof(name), 42, 1234, 7, "cycle 3/a*b.ok-x"));
    CHECK(std::string(name) == "00000000000000000042-1234-000007-cycle_3_a_b.ok-x.lksnap");
    REQUIRE(formatSnapshotFileName(name, sizeof(name), 1, 1, 0, ""));
    CHECK(std::string(name) == "00000000000000000001-1-000000-snapshot.lksnap");
    CHECK_FALSE(formatSnapshotFileName(name, 10, 1, 1, 0, "label"));
}
