// Removes the tracker's and the allocator's own frames from the top of a symbolized stack so that
// stack[0] is the code that called malloc/new/socket/open: the preload's module, libc's malloc family
// and its handle-creating wrappers (fopen calling malloc, ...), operator new/new[] and libstdc++'s
// allocator templates.
#pragma once

#include "core/SymbolizedFrame.h"

namespace leakscope::analyzer {

// True when this frame is tracker/allocator plumbing rather than the program's own code.
bool isAllocatorFrame(const SymbolizedFrame& frame);

// The stack without its leading allocator frames (unchanged if every frame is one).
SymbolizedStack trimAllocatorFrames(SymbolizedStack stack);

}  // namespace leakscope::analyzer
