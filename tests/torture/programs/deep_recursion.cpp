// Allocates at the bottom of a 10,000-frame recursion: far deeper than any stack depth the tracker keeps
// (LEAKSCOPE_DEPTH caps at 256), so the capture must stop at the cap and mark the stack truncated
// instead of walking (or overflowing) the whole thing.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kDepth = 10000;
void* deepest_block = nullptr;

// noinline plus work after the call keep every level a real frame (no tail call, no inlining).
__attribute__((noinline)) int descend(int level) {
    volatile char frame_padding[32];
    frame_padding[0] = static_cast<char>(level);
    if (level == kDepth) {
        deepest_block = std::malloc(4096);
        std::memset(deepest_block, 1, 4096);
        return 1;
    }
    if (level % 1000 == 0) std::free(std::malloc(64 + level));  // allocations at intermediate depths too
    return descend(level + 1) + (frame_padding[0] & 0);
}

}  // namespace

int main() {
    int bottom = descend(1);
    std::printf("recursed %d deep, bottom reached %d time(s), block %s\n", kDepth, bottom,
                deepest_block ? "allocated" : "missing");
    // The block is kept: the exit snapshot must hold it with its (capped) stack.
    return deepest_block ? 0 : 1;
}
