// Stack walking behind one interface, so the hooks do not know which walker ran.
//
// The implementation is a CFA-rule cache walk (CfiWalker.h: rbp where the CFI says the frame keeps a
// frame pointer, the DWARF CFA elsewhere, a per-thread memo of the previous walk) with libgcc's
// _Unwind_Backtrace as the fallback for frames the cache cannot express. libgcc's unwinder is linked in
// statically with hidden symbols: a shared unwinder in the target's global scope (libunwind.so's
// _Unwind_*) would make every C++ throw ~100x slower, and libunwind holds a pipe open for the life of
// the process (an fd the program could meet, issue 16). With LEAKSCOPE_VERIFY_UNWIND=1 every CFI walk
// is repeated by libgcc and mismatches are logged (docs/configuration.md).
#pragma once

#include "unwind/WalkLimits.h"

namespace leakscope::preload::unwinder {

// Prepares the unwinder. Cold path: called from the core's initialisation with the guard held, after
// loadConfig(). Returns false when the CFI rule cache could not be mapped; stacks are then still
// recorded, every one walked by libgcc (slower).
bool initialise() noexcept;
bool ready() noexcept;

// Writes return addresses of the calling thread, innermost first, and returns how many it wrote: the
// leading frames inside the preload's own range (isOwnCode(); the first of them inside capture() or below it), then
// at most limits.beyond_own more, never more than limits.capacity in all (WalkLimits.h). *unchanged is
// set when they are exactly the frames of this thread's previous capture() with the same limits;
// frames[] may then be left unwritten, and the caller reuses what it derived from them last time.
int capture(void** frames, WalkLimits limits, bool* unchanged) noexcept;

// Name of the implementation, for diagnostics.
const char* name() noexcept;

}  // namespace leakscope::preload::unwinder
