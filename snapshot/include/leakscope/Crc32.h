// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of snapshot sections.
// Allocation-free and reentrant, so the preload can use it from any hook or signal handler.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::snapshot {

// Continues a running CRC: crc32Update(crc32Update(0, a), b) == crc32 of a followed by b.
uint32_t crc32Update(uint32_t crc, const void* data, size_t size) noexcept;

inline uint32_t crc32(const void* data, size_t size) noexcept { return crc32Update(0, data, size); }

}  // namespace leakscope::snapshot
