// The allocating call chain of the malloc/free storm (W1, W2): twelve distinct functions,
// storm_frame_01 -> ... -> storm_frame_12 -> malloc, so that every allocation is made 12 frames
// below the storm loop. scripts/bench checks that the recorded stacks of W1's leaked blocks name all
// twelve (storm_frame_01 .. storm_frame_12) and main.
#pragma once

#include <cstddef>

// Allocates `size` bytes through the 12-frame chain (storm_frame_01 is the outermost).
extern "C" void* storm_frame_01(size_t size);
