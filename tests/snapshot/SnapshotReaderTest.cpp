// The validating reader: a valid file round-trips; every corruption is a one-line DataLoss status
// naming the file and a byte offset, never a crash.
#include <catch2/catch.hpp>

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

TEST_CASE("every flipped byte is detected") {
    auto builder = sampleSnapshot();
    std::string bytes = builder.bytes();
    auto isReservedSectionField = [&](size_t i) {
        for (size_t offset : builder.sectionOffsets())
            if (i >= offset + offsetof(snapshot::SectionHeader, reserved) && i < offset + sizeof(snapshot::SectionHeader)) return true;
        return false;
    };
    // A flipped section type turns a section into one of an unknown type, which the format says
    // readers skip (forward compatibility); no checksum covers section headers, so that is legal.
    auto isSectionType = [&](size_t i) {
        for (size_t offset : builder.sectionOffsets())
            if (i >= offset && i < offset + sizeof(uint32_t)) return true;
        return false;
    };
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::string corrupt = bytes;
        corrupt[i] = char(corrupt[i] ^ 0x5a);
        auto parsed = snapshot::parseSnapshot(corrupt, "flip.lksnap");
        // Reserved fields of section headers and the trailer carry nothing and no checksum covers
        // them; every other byte is covered.
        if (i >= bytes.size() - 4 || isReservedSectionField(i) || isSectionType(i)) continue;
        INFO("flipped byte " << i);
        requireOneLineError(parsed.status(), "flip.lksnap");
    }
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
