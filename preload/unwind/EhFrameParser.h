// The DWARF side of the CFI walker: finds the FDE covering a pc through the module's .eh_frame_hdr
// binary-search table (as ld writes it; LSB "Exception Frame Header"), reads its CIE and FDE headers
// and augmentations (LSB "The .eh_frame section", DWARF 5 section 6.4.1) and runs the CFA program up to
// the pc (DWARF 5 section 6.4.2). The result is one packed rule (CfiRule.h).
//
// Supported: CFA = rsp + k or rbp + k, rbp saved at CFA + k, return address at CFA - 8, an undefined
// return address (the outermost frame). Anything else (CFA expressions as in PLT stubs, signal
// frames, registers saved elsewhere, malformed or truncated tables, a pc in no module or in a module
// without .eh_frame_hdr) is kUnsupported: never approximated, the caller then uses the full unwinder.
// Cold path: runs under the loader's lock (dl_iterate_phdr), allocates nothing, takes no lock of ours.
#pragma once

#include <cstdint>

namespace leakscope::preload::cfi_walker {

// The packed rule (CfiRule.h) of `pc` (an address inside a loaded module's code; for a caller frame,
// its return address - 1). kUnsupported when it cannot be expressed or found.
uint64_t ruleFromLoadedModules(uint64_t pc) noexcept;

// The parser's two inner entry points, on memory the caller vouches for (the loaded module's mapped
// .eh_frame_hdr and .eh_frame; byte arrays in tests/unit/EhFrameParserTest.cpp). Lengths and pointers
// inside the tables are trusted as far as the loaded module is: a CIE/FDE length or a CIE pointer that
// leaves the buffer is read, not checked against it; everything read inside a record's own length is
// bounds-checked (a truncated operand, an unknown opcode, a bad augmentation give kUnsupported).
//
// `fde`: the start of an FDE (its length field). Its CIE is found through the FDE's CIE pointer.
uint64_t ruleFromFde(const uint8_t* fde, uint64_t pc) noexcept;
// `header`: the start of an .eh_frame_hdr (version 1, table encoding datarel sdata4 as ld writes it).
uint64_t ruleFromEhFrameHeader(const uint8_t* header, uint64_t pc) noexcept;

}  // namespace leakscope::preload::cfi_walker
