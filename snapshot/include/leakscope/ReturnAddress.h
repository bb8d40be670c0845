// The one "previous instruction" rule for stack frames, shared by the analyzer's symbolizer and the
// preload's walker and fault injection.
//
// Every frame a snapshot stores is a return address: the instruction after a call (frame 0 too: the
// return address of the call into malloc/open/... in the program's code). The call itself, and so its
// source line, its inline chain and the unwind rule in effect during it, ends just before that
// address. Looking the return address up as it is names the next statement, or a different function
// when the call was the last instruction of a noreturn path or of a function laid out right before
// another. Stepping back one byte lands inside the call instruction whatever its length (x86-64
// calls are 2 to 7 bytes), which is what addr2line, gdb and libunwind do for caller frames.
//
// Only an exact program counter (a signal's interrupted pc, the pc a walk starts from inside the
// walker itself) is looked up as it is.
#pragma once

#include <cstdint>

namespace leakscope::snapshot {

// The address to look up (symbol, line, CFI) for a return address: inside the call instruction.
// 0 stays 0 (no frame).
constexpr uint64_t callSiteOf(uint64_t return_address) noexcept { return return_address == 0 ? 0 : return_address - 1; }

}  // namespace leakscope::snapshot
