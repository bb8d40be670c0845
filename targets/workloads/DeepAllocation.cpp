// Twelve real frames between the workload and malloc. Each function must stay a frame of its own:
//  - noipa keeps GCC from inlining, cloning or folding the functions (-O2 does all three);
//  - the empty asm after each call keeps the call out of tail position, otherwise -O2 turns it into a
//    jump and the caller's frame vanishes from the stack;
//  - extern "C" gives the analyzer plain names to print (no parameter lists to match).
#include "DeepAllocation.h"

#include <cstdlib>

#define STORM_FRAME_ATTRIBUTES __attribute__((noinline, noipa))
#define STORM_KEEP_FRAME() asm volatile("" ::: "memory")

extern "C" {

STORM_FRAME_ATTRIBUTES void* storm_frame_12(size_t size) {
    void* block = std::malloc(size);
    STORM_KEEP_FRAME();
    return block;
}

// Each level calls the next one down and keeps its frame; the macro only spells the 11 copies.
#define STORM_FRAME(level, next)                          \
    STORM_FRAME_ATTRIBUTES void* storm_frame_##level(size_t size) { \
        void* block = storm_frame_##next(size);           \
        STORM_KEEP_FRAME();                               \
        return block;                                     \
    }

STORM_FRAME(11, 12)
STORM_FRAME(10, 11)
STORM_FRAME(09, 10)
STORM_FRAME(08, 09)
STORM_FRAME(07, 08)
STORM_FRAME(06, 07)
STORM_FRAME(05, 06)
STORM_FRAME(04, 05)
STORM_FRAME(03, 04)
STORM_FRAME(02, 03)
STORM_FRAME(01, 02)

}  // extern "C"
