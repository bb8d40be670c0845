// The validating reader: a valid file round-trips; every corruption is a one-line DataLoss status
// naming the file and a byte offset, never a crash.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "SnapshotBuilder.h"
#include "leakscope/SnapshotReader.h"

using namespace leakscope;
using leakscope::testing::SnapshotBuilder;

namespace {

SnapshotBuilder sampleSnapshot() {
    SnapshotBuilder builder(42, "cycle", 100);
    builder.module("/usr/lib/libfoo.so", 0x7f0000000000, 0x7f0000001000, 0x7f0000005000, "\x01\x02\x03\x04")
        .stack(1, {0x7f0000001234, 0x7f0000001300})
        .stack(2, {0x401000}, true)
        .allocation(0x1000, 16, 7, 1)
        .allocation(0x2000, 32, 8, 2)
        .handle(5, snapshot::HandleKind::Socket, 9, 2, snapshot::kHandleCloexec, "", 2, 2, 0)
        .handle(6, snapshot::HandleKind::File, 10, 1, 0, "/etc/hosts")
        .event(snapshot::EventKind::BadClose, 11, 1, uint64_t(-1));
    return builder;
}

// The same snapshot with its two allocations classified (version 2's Reachability section).
SnapshotBuilder classifiedSnapshot() {
    auto builder = sampleSnapshot();
    builder.reachability({uint8_t(snapshot::Reachability::DefinitelyLost), uint8_t(snapshot::Reachability::StillReachable)}, 12345);
    return builder;
}

// The sample with its module's file recorded (version 3's ModuleFiles section).
SnapshotBuilder fingerprintedSnapshot() {
    auto builder = classifiedSnapshot();
    builder.moduleFile(123456, 1'700'000'000'123'456'789, 2049, 987654);
    return builder;
}

void requireOneLineError(const absl::Status& status, const std::string& name) {
    REQUIRE_FALSE(status.ok());
    std::string message(status.message());
    INFO(message);
    CHECK(message.rfind(name + ": ", 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("at byte ") != std::string::npos);
    // ... and names where: the header, the trailer, the file as a whole, the section table or a section.
    static const char* const kPlaces[] = {"header at", "trailer at", "file at", "section table at",
                                          "Counters section", "Modules section", "Stacks section", "Allocations section",
                                          "Handles section", "Events section", "Strings section",
                                          "Reachability section", "ModuleFiles section"};
    bool named = false;
    for (const char* place : kPlaces) named = named || message.compare(name.size() + 2, std::strlen(place), place) == 0;
    CHECK(named);
}

}  // namespace

TEST_CASE("a valid snapshot round-trips through the reader") {
    auto builder = sampleSnapshot();
    auto parsed = snapshot::parseSnapshot(builder.bytes(), "sample.lksnap");
    REQUIRE(parsed.ok());
    const auto& s = *parsed;
    CHECK(s.pid == 42);
    CHECK(s.label == "cycle");
    CHECK(s.sequence == 100);
    REQUIRE(s.modules.size() == 1);
    CHECK(s.modules[0].path == "/usr/lib/libfoo.so");
    CHECK(s.modules[0].build_id == std::string("\x01\x02\x03\x04"));
    REQUIRE(s.stacks.size() == 2);
    CHECK(s.stacks[1].truncated);
    CHECK(s.stacks[s.stackIndex(1)].frames == std::vector<uint64_t>{0x7f0000001234, 0x7f0000001300});
    CHECK(s.stackIndex(3) == -1);
    REQUIRE(s.allocations.size() == 2);
    CHECK(s.allocations[1].size == 32);
    REQUIRE(s.handles.size() == 2);
    CHECK(s.handles[1].path == "/etc/hosts");
    REQUIRE(s.events.size() == 1);
    CHECK(s.counters.live_bytes == 48);
}

TEST_CASE("truncation anywhere gives a one-line error naming the file and offset") {
    auto builder = sampleSnapshot();
    std::string bytes = builder.bytes();
    std::vector<size_t> cuts = {0, 1, 8, sizeof(snapshot::FileHeader) - 1, sizeof(snapshot::FileHeader), bytes.size() - 1,
                                bytes.size() - sizeof(snapshot::Trailer)};
    for (size_t offset : builder.sectionOffsets()) {
        cuts.push_back(offset);
        cuts.push_back(offset + 1);
        cuts.push_back(offset + sizeof(snapshot::SectionHeader));
        cuts.push_back(offset + sizeof(snapshot::SectionHeader) + 3);
    }
    for (size_t cut : cuts) {
        if (cut >= bytes.size()) continue;
        INFO("cut at " << cut);
        auto parsed = snapshot::parseSnapshot(bytes.substr(0, cut), "cut.lksnap");
        requireOneLineError(parsed.status(), "cut.lksnap");
    }
}

TEST_CASE("every flipped byte is detected, including section types and reserved fields") {
    // No byte of a version-1 file is free: the header is checksummed, each payload is checksummed,
    // and each section header field is cross-checked (known type, no duplicate, record size, count
    // against payload size, reserved zero); the trailer repeats what the header says. So every single
    // corrupted byte, whatever the corruption, must be rejected, not accepted with another meaning.
    auto builder = GENERATE(sampleSnapshot(), classifiedSnapshot(), fingerprintedSnapshot());
    const std::string bytes = builder.bytes();
    const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x5a, 0xff};
    size_t accepted = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        for (uint8_t mask : masks) {
            std::string corrupt = bytes;
            corrupt[i] = char(uint8_t(corrupt[i]) ^ mask);
            auto parsed = snapshot::parseSnapshot(corrupt, "flip.lksnap");
            if (parsed.ok()) {
                ++accepted;
                UNSCOPED_INFO("byte " << i << " ^ " << int(mask) << " was accepted");
                continue;
            }
            INFO("flipped byte " << i << " with mask " << int(mask));
            requireOneLineError(parsed.status(), "flip.lksnap");
        }
    }
    CHECK(accepted == 0);
}

TEST_CASE("a section type changed into another known type is rejected") {
    auto builder = GENERATE(sampleSnapshot(), classifiedSnapshot());
    const std::string bytes = builder.bytes();
    // Sections in builder order: Counters, Modules, Stacks, Allocations, Handles, Events,
    // [Reachability,] Strings.
    for (size_t section = 0; section < builder.sectionOffsets().size(); ++section) {
        for (uint32_t type = 0; type <= 9; ++type) {
            std::string corrupt = bytes;
            uint32_t original;
            std::memcpy(&original, corrupt.data() + builder.sectionOffsets()[section], sizeof original);
            if (type == original) continue;
            std::memcpy(corrupt.data() + builder.sectionOffsets()[section], &type, sizeof type);
            INFO("section " << section << " retyped to " << type);
            requireOneLineError(snapshot::parseSnapshot(corrupt, "type.lksnap").status(), "type.lksnap");
        }
    }
}

TEST_CASE("truncation at every byte is rejected with the section named") {
    auto builder = GENERATE(sampleSnapshot(), classifiedSnapshot());
    const std::string bytes = builder.bytes();
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        INFO("cut at " << cut);
        auto parsed = snapshot::parseSnapshot(bytes.substr(0, cut), "cut.lksnap");
        requireOneLineError(parsed.status(), "cut.lksnap");
    }
}

TEST_CASE("files on disk: corrupt, truncated, empty and wrong-version files are DataLoss, valid ones map") {
    char dir_template[] = "/tmp/leakscope-reader-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template;
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::string path = dir + "/" + name;
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    };
    const std::string bytes = sampleSnapshot().bytes();
    auto valid = snapshot::readSnapshotFile(write("valid.lksnap", bytes));
    REQUIRE(valid.ok());
    REQUIRE(valid->allocations.size() == 2);
    CHECK(valid->allocations[1].size == 32);
    uint64_t total = 0;
    for (const auto& allocation : valid->allocations) total += allocation.size;
    CHECK(total == 48);

    std::string wrong_version = bytes;
    wrong_version[offsetof(snapshot::FileHeader, version)] = char(snapshot::kFormatVersion + 1);
    for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
             {"empty.lksnap", ""},
             {"short.lksnap", bytes.substr(0, 100)},
             {"cut.lksnap", bytes.substr(0, bytes.size() - 1)},
             {"version.lksnap", wrong_version}}) {
        std::string path = write(name, content);
        auto parsed = snapshot::readSnapshotFile(path);
        INFO(name);
        REQUIRE_FALSE(parsed.ok());
        CHECK(absl::IsDataLoss(parsed.status()));
        requireOneLineError(parsed.status(), path);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("wrong magic and wrong version are named") {
    std::string bytes = sampleSnapshot().bytes();
    std::string bad_magic = bytes;
    bad_magic[0] = 'X';
    auto magic = snapshot::parseSnapshot(bad_magic, "m.lksnap");
    REQUIRE_FALSE(magic.ok());
    CHECK(std::string(magic.status().message()).find("magic") != std::string::npos);

    std::string bad_version = bytes;
    bad_version[8] = 9;
    auto version = snapshot::parseSnapshot(bad_version, "v.lksnap");
    REQUIRE_FALSE(version.ok());
    CHECK(std::string(version.status().message()).find("version 9") != std::string::npos);
}

TEST_CASE("a missing file is NotFound with its name") {
    auto parsed = snapshot::readSnapshotFile("/nonexistent/x.lksnap");
    REQUIRE_FALSE(parsed.ok());
    CHECK(std::string(parsed.status().message()).find("/nonexistent/x.lksnap") != std::string::npos);
}

TEST_CASE("reachability classes round-trip with their status and scan time") {
    auto parsed = snapshot::parseSnapshot(classifiedSnapshot().bytes(), "classes.lksnap");
    REQUIRE(parsed.ok());
    const auto& s = *parsed;
    CHECK(s.version == snapshot::kFormatVersion);
    CHECK(s.classified());
    CHECK(s.counters.reachability_status == uint64_t(snapshot::ReachabilityStatus::Classified));
    CHECK(s.counters.reachability_scan_ns == 12345);
    REQUIRE(s.reachability.size() == s.allocations.size());
    CHECK(s.reachabilityOf(0) == snapshot::Reachability::DefinitelyLost);
    CHECK(s.reachabilityOf(1) == snapshot::Reachability::StillReachable);
    CHECK(s.reachabilityOf(2) == snapshot::Reachability::NotClassified);  // past the end
    // The classes outlive the Snapshot they came from, like the allocations they describe.
    auto classes = s.reachability;
    auto bytes_owner = s.bytes;
    parsed = absl::UnknownError("dropped");
    CHECK(classes[1] == uint8_t(snapshot::Reachability::StillReachable));
}

TEST_CASE("a snapshot without classes says why, and has none") {
    using snapshot::ReachabilityStatus;
    auto status = GENERATE(ReachabilityStatus::NotAttempted, ReachabilityStatus::Skipped, ReachabilityStatus::Failed);
    auto builder = sampleSnapshot();
    builder.reachabilityStatus(status, status == ReachabilityStatus::Skipped ? 999 : 0);
    auto parsed = snapshot::parseSnapshot(builder.bytes(), "unclassified.lksnap");
    REQUIRE(parsed.ok());
    CHECK_FALSE(parsed->classified());
    CHECK(parsed->reachability.empty());
    CHECK(parsed->counters.reachability_status == uint64_t(status));
    CHECK(parsed->reachabilityOf(0) == snapshot::Reachability::NotClassified);
}

TEST_CASE("a classified snapshot with no allocations has an empty Reachability section") {
    SnapshotBuilder builder(7, "empty", 1);
    builder.reachability({});
    auto parsed = snapshot::parseSnapshot(builder.bytes(), "empty.lksnap");
    REQUIRE(parsed.ok());
    CHECK(parsed->classified());
    CHECK(parsed->reachability.empty());
}

TEST_CASE("older versions are still read, without what came later, and may not hold its section") {
    struct Older {
        uint32_t version;
        SnapshotBuilder with_newer_section;
        const char* rejection;
    };
    std::vector<Older> versions;
    versions.push_back({1, classifiedSnapshot(), "unknown section type 8"});  // Reachability came with 2
    versions.push_back({2, fingerprintedSnapshot(), "unknown section type 9"});  // ModuleFiles came with 3
    for (auto& older : versions) {
        INFO("version " << older.version);
        auto plain = sampleSnapshot();
        plain.version(older.version);
        auto parsed = snapshot::parseSnapshot(plain.bytes(), "old.lksnap");
        REQUIRE(parsed.ok());
        CHECK(parsed->version == older.version);
        CHECK(parsed->allocations.size() == 2);
        CHECK_FALSE(parsed->classified());
        CHECK(parsed->reachability.empty());
        REQUIRE(parsed->modules.size() == 1);
        CHECK(parsed->modules[0].path == "/usr/lib/libfoo.so");
        CHECK_FALSE(parsed->modules[0].file.has_value());

        older.with_newer_section.version(older.version);
        auto rejected = snapshot::parseSnapshot(older.with_newer_section.bytes(), "newer.lksnap");
        requireOneLineError(rejected.status(), "newer.lksnap");
        CHECK(std::string(rejected.status().message()).find(older.rejection) != std::string::npos);
    }
    auto v2 = classifiedSnapshot();  // version 2's own section still reads
    v2.version(2);
    auto parsed = snapshot::parseSnapshot(v2.bytes(), "v2.lksnap");
    REQUIRE(parsed.ok());
    CHECK(parsed->classified());
}

TEST_CASE("inconsistent reachability or module files are corruption, named in one line") {
    using snapshot::Reachability;
    using snapshot::ReachabilityStatus;
    struct Case {
        const char* name;
        SnapshotBuilder builder;
        const char* problem;
    };
    auto withClasses = [](std::vector<uint8_t> classes) {
        auto builder = sampleSnapshot();
        builder.reachability(std::move(classes));
        return builder;
    };
    std::vector<Case> cases;
    cases.push_back({"fewer", withClasses({1}), "1 classes for 2 allocations"});
    cases.push_back({"more", withClasses({1, 4, 4}), "3 classes for 2 allocations"});
    cases.push_back({"value", withClasses({1, 5}), "unknown class 5 for allocation 1"});
    cases.push_back({"value255", withClasses({255, 1}), "unknown class 255 for allocation 0"});
    auto missing = sampleSnapshot();
    missing.reachabilityStatus(ReachabilityStatus::Classified);
    cases.push_back({"missing", missing, "Reachability section is missing"});
    auto skipped = withClasses({1, 4});
    skipped.reachabilityStatus(ReachabilityStatus::Skipped);
    cases.push_back({"skipped", skipped, "present although the reachability status is skipped"});
    auto unknown = sampleSnapshot();
    unknown.reachabilityStatus(ReachabilityStatus(7));
    cases.push_back({"status", unknown, "unknown reachability status 7"});
    auto fewer_files = sampleSnapshot();
    fewer_files.module("/usr/lib/libbar.so", 0x7f1000000000, 0x7f1000001000, 0x7f1000002000).moduleFile(1, 2, 3, 4);
    cases.push_back({"fewer files, the place", fewer_files, "ModuleFiles section at byte"});
    cases.push_back({"fewer files", fewer_files, "1 records for 2 modules"});
    auto more_files = sampleSnapshot();
    more_files.moduleFile(1, 2, 3, 4).moduleFile(5, 6, 7, 8);
    cases.push_back({"more files", more_files, "2 records for 1 modules"});
    auto file_status = sampleSnapshot();
    snapshot::ModuleFileRecord unknown_file_status{};
    unknown_file_status.status = 2;
    file_status.moduleFile(unknown_file_status);
    cases.push_back({"file status", file_status, "unknown status 2 for module 0"});
    for (auto& c : cases) {
        INFO(c.name);
        auto parsed = snapshot::parseSnapshot(c.builder.bytes(), "reach.lksnap");
        requireOneLineError(parsed.status(), "reach.lksnap");
        CHECK(std::string(parsed.status().message()).find(c.problem) != std::string::npos);
    }
}

TEST_CASE("one name table for the classes and the statuses") {
    using snapshot::Reachability;
    CHECK(std::string(snapshot::reachabilityName(Reachability::DefinitelyLost)) == "definitely lost");
    CHECK(std::string(snapshot::reachabilityName(Reachability::IndirectlyLost)) == "indirectly lost");
    CHECK(std::string(snapshot::reachabilityName(Reachability::PossiblyLost)) == "possibly lost");
    CHECK(std::string(snapshot::reachabilityName(Reachability::StillReachable)) == "still reachable");
    CHECK(std::string(snapshot::reachabilityName(Reachability::NotClassified)) == "not classified");
    CHECK(std::string(snapshot::reachabilityName(Reachability(9))) == "not classified");
    CHECK(std::string(snapshot::reachabilityStatusName(2)) == "skipped");
    CHECK(std::string(snapshot::reachabilityStatusName(3)) == "failed");
    CHECK(std::string(snapshot::reachabilityStatusName(4)) == "unknown");
}

TEST_CASE("a module's recorded file round-trips, an unrecorded one is unknown with its errno") {
    auto builder = sampleSnapshot();
    builder.module("[vdso]", 0x7fff0000, 0x7fff0000, 0x7fff2000)
        .moduleFile(123456, 1'700'000'000'123'456'789, 2049, 987654);
    snapshot::ModuleFileRecord failed{};
    failed.error = EACCES;  // status Unknown: the preload's stat failed
    builder.moduleFile(failed);
    auto parsed = snapshot::parseSnapshot(builder.bytes(), "files.lksnap");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->modules.size() == 2);
    REQUIRE(parsed->modules[0].file.has_value());
    CHECK(*parsed->modules[0].file == snapshot::ModuleFile{123456, 1'700'000'000'123'456'789, 2049, 987654});
    CHECK(parsed->modules[0].file_error == 0);
    CHECK_FALSE(parsed->modules[1].file.has_value());
    CHECK(parsed->modules[1].file_error == uint32_t(EACCES));
    // Without the section (a writer that took no fingerprints) every module's file is unknown.
    auto without = snapshot::parseSnapshot(sampleSnapshot().bytes(), "without.lksnap");
    REQUIRE(without.ok());
    CHECK_FALSE(without->modules[0].file.has_value());
}
