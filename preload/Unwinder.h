// Stack walking behind one interface, so a faster unwinder (frame-pointer walk with a DWARF CFA
// cache, reuse of the unchanged part of the thread's previous stack) can replace this one without
// touching the hooks.
//
// The implementation today is libunwind's unw_backtrace, reached through dlopen("libunwind.so.8",
// RTLD_LOCAL): linking libunwind.so normally would put its _Unwind_* exception ABI into the target's
// global scope and make every C++ throw ~100x slower, and Debian's libunwind.a is not PIC.
#pragma once

namespace leakscope::preload::unwinder {

// Loads the unwinder. Cold path: called from the core's initialisation with the guard held.
// Returns false (and captures then return 0 frames) when libunwind is not available.
bool initialise() noexcept;
bool ready() noexcept;

// Writes up to `capacity` return addresses of the calling thread, innermost first (the first one is
// inside the caller of capture()), and returns how many it wrote.
int capture(void** frames, int capacity) noexcept;

// Name of the implementation, for diagnostics.
const char* name() noexcept;

}  // namespace leakscope::preload::unwinder
