// Stack walking behind one interface, so the hooks do not know which walker ran.
//
// The implementation is a CFA-rule cache walk (CfiWalker.h: rbp where the CFI says the frame keeps a
// frame pointer, the DWARF CFA elsewhere, a per-thread memo of the previous walk) with libunwind's
// unw_backtrace as the fallback for frames the cache cannot express. libunwind is reached through
// dlopen("libunwind.so.8", RTLD_LOCAL): linking libunwind.so normally would put its _Unwind_*
// exception ABI into the target's global scope and make every C++ throw ~100x slower, and Debian's
// libunwind.a is not PIC.
#pragma once

namespace leakscope::preload::unwinder {

// Loads the unwinder. Cold path: called from the core's initialisation with the guard held.
// Returns false (and captures then return 0 frames) when libunwind is not available.
bool initialise() noexcept;
bool ready() noexcept;

// Writes up to `capacity` return addresses of the calling thread, innermost first (the first one is
// inside the caller of capture()), and returns how many it wrote. *unchanged is set when they are
// exactly the frames of this thread's previous capture(); frames[] may then be left unwritten, and the
// caller reuses what it derived from them last time.
int capture(void** frames, int capacity, bool* unchanged) noexcept;

// Name of the implementation, for diagnostics.
const char* name() noexcept;

}  // namespace leakscope::preload::unwinder
