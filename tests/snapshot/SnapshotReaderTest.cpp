// The validating reader: a valid file round-trips; every corruption is a one-line DataLoss status
// naming the file and a byte offset, never a crash.
#include <catch2/catch.hpp>

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
                                          "Handles section", "Events section", "Strings section"};
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
    auto builder = sampleSnapshot();
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
    auto builder = sampleSnapshot();
    const std::string bytes = builder.bytes();
    // Sections in builder order: Counters, Modules, Stacks, Allocations, Handles, Events, Strings.
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
    const std::string bytes = sampleSnapshot().bytes();
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
    wrong_version[offsetof(snapshot::FileHeader, version)] = 2;
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
