// The CFA rule of one pc, packed in 64 bits so that a rule-cache entry is two words: what the walk
// needs to step from a frame to its caller on x86-64 (DWARF 5 section 6.4, "Call Frame Information").
// Shared by the .eh_frame parser (which produces rules), the rule cache and the walk (which applies them).
#pragma once

#include <cstdint>

namespace leakscope::preload::cfi_walker {

enum RuleKind : uint64_t {
    kUnsupported = 0,  // the full unwinder must walk this frame
    kCfaFromRsp = 1,
    kCfaFromRbp = 2,
    kOutermost = 3,  // the return address is undefined: the bottom of the stack (_start, clone)
};
constexpr uint64_t kRbpSaved = 4;  // the caller's rbp is at CFA + rbp offset

// bits 0-1 kind, bit 2 rbp saved, bits 16-31 rbp offset (int16), bits 32-63 CFA offset (int32).
constexpr uint64_t packRule(uint64_t kind, bool rbp_saved, int16_t rbp_offset, int32_t cfa_offset) noexcept {
    return kind | (rbp_saved ? kRbpSaved : 0) | (uint64_t{static_cast<uint16_t>(rbp_offset)} << 16) |
           (uint64_t{static_cast<uint32_t>(cfa_offset)} << 32);
}
inline uint64_t kindOf(uint64_t rule) noexcept { return rule & 3; }
inline int64_t rbpOffsetOf(uint64_t rule) noexcept { return static_cast<int16_t>(rule >> 16); }
inline int64_t cfaOffsetOf(uint64_t rule) noexcept { return static_cast<int32_t>(rule >> 32); }

}  // namespace leakscope::preload::cfi_walker
