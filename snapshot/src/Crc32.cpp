#include "leakscope/Crc32.h"

#include <array>

namespace leakscope::snapshot {
namespace {

// Slicing-by-4 tables, built at compile time: a snapshot of a million allocations is 32 MB of
// records, and checksumming it must not dominate the write.
constexpr std::array<std::array<uint32_t, 256>, 4> makeTables() {
    std::array<std::array<uint32_t, 256>, 4> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (int s = 1; s < 4; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

constexpr auto kTables = makeTables();

}  // namespace

uint32_t crc32Update(uint32_t crc, const void* data, size_t size) noexcept {
    auto p = static_cast<const unsigned char*>(data);
    crc = ~crc;
    while (size >= 4) {
        crc ^= uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
        crc = kTables[3][crc & 0xFF] ^ kTables[2][(crc >> 8) & 0xFF] ^ kTables[1][(crc >> 16) & 0xFF] ^
              kTables[0][crc >> 24];
        p += 4;
        size -= 4;
    }
    while (size--) crc = kTables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

}  // namespace leakscope::snapshot
