// The one piece of LibcFdHooks.cpp another hook file calls: popen is hooked once, in
// ProcessHooks.cpp, because its shell must get the followed environment (issue 16, kind 10) and its
// stream must be tracked (issue 15, section 3).
#pragma once

#include <cstdio>

namespace leakscope::preload::handles {

// Records the fd behind a stream libc opened itself (popen's pipe end) with the calling program's
// stack, described from the kernel. Returns `stream` unchanged; nullptr is passed through.
FILE* recordPopenedStream(FILE* stream) noexcept;

}  // namespace leakscope::preload::handles
