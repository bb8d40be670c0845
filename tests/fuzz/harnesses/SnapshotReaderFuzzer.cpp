// libFuzzer harness: the fuzzer's bytes as a snapshot file, through the reader's public API.
// Every input is parsed twice: as it is, and with its checksums and sizes repaired. Random bytes almost
// never pass the CRC-32 checks, so without the repair the fuzzer would only ever explore the first
// few rejections; with it, the structural validation behind them (section bounds, record sizes,
// string references, stack ids) sees mutated content too.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "leakscope/Crc32.h"
#include "leakscope/SnapshotReader.h"
#include "leakscope/snapshot_format.h"

namespace {

using namespace leakscope::snapshot;

// Fixes what a checksum or size field would otherwise reject: the header CRC, each section's payload
// CRC (for the payload bytes that are present), and the trailer's file size. Leaves everything
// structural (counts, sizes, offsets) as the fuzzer made it.
std::string repairChecksums(std::string bytes) {
    if (bytes.size() < sizeof(FileHeader) + sizeof(Trailer)) return bytes;
    FileHeader header;
    std::memcpy(&header, bytes.data(), sizeof header);
    size_t offset = sizeof(FileHeader);
    for (uint32_t i = 0; i < header.section_count && offset + sizeof(SectionHeader) <= bytes.size(); ++i) {
        SectionHeader section;
        std::memcpy(&section, bytes.data() + offset, sizeof section);
        size_t payload = offset + sizeof section;
        if (section.payload_size > bytes.size() - payload) break;
        section.payload_crc32 = crc32(bytes.data() + payload, section.payload_size);
        std::memcpy(bytes.data() + offset, &section, sizeof section);
        offset = payload + section.payload_size;
    }
    header.header_crc32 = 0;
    header.header_crc32 = crc32(&header, sizeof header);
    std::memcpy(bytes.data(), &header, sizeof header);
    Trailer trailer;
    std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof trailer, sizeof trailer);
    trailer.file_size = bytes.size();
    std::memcpy(bytes.data() + bytes.size() - sizeof trailer, &trailer, sizeof trailer);
    return bytes;
}

// Touches what a consumer would: every stack lookup and every name function, so a snapshot that
// parsed but holds out-of-range values shows up under the sanitizers.
void useSnapshot(const Snapshot& snapshot) {
    size_t sink = 0;
    for (const auto& allocation : snapshot.allocations) sink += static_cast<size_t>(snapshot.stackIndex(allocation.stack_id) + 1);
    for (const auto& handle : snapshot.handles) {
        sink += std::strlen(handleKindName(handle.record.kind)) + handleFlagNames(handle.record.flags).size();
        sink += static_cast<size_t>(snapshot.stackIndex(handle.record.stack_id) + 1);
    }
    for (const auto& event : snapshot.events) sink += std::strlen(eventKindName(event.kind));
    sink += std::strlen(triggerName(snapshot.trigger));
    volatile size_t keep = sink;
    (void)keep;
}

void parseAndUse(const std::string& bytes) {
    auto snapshot = parseSnapshot(bytes, "fuzz.lksnap");
    if (snapshot.ok()) useSnapshot(*snapshot);
    else if (snapshot.status().message().empty()) __builtin_trap();  // every rejection must say why
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string bytes(reinterpret_cast<const char*>(data), size);
    parseAndUse(bytes);
    parseAndUse(repairChecksums(bytes));
    return 0;
}
