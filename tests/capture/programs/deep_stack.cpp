// Allocates at the bottom of a recursion LEVELS frames deep (default 300: deeper than any
// LEAKSCOPE_DEPTH), built with and without frame pointers (tests/capture/CMakeLists.txt):
//
//   deep_stack [LEVELS] [ROUNDS]
//
// At the bottom, descend() leaks four blocks, each from its own call: malloc(8000), calloc(1, 3000),
// realloc to 2000 bytes and new char[1000] (libstdc++'s operator new[] calling malloc). So every leaked
// block's stack is: the allocating call in descend, then descend's recursive call LEVELS - 1 times
// (one return address repeated), then main. ROUNDS > 0 first runs that many malloc/free pairs at the
// bottom, alternating between two call sites so that no capture repeats the previous one: a deep
// stack walked frame by frame (docs/BENCHMARKS.md measures the walk with it).
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void* volatile g_sink = nullptr;  // stores the compiler cannot drop; each block is lost once overwritten

__attribute__((noinline)) void churnFromA() {
    void* block = std::malloc(48);
    g_sink = block;
    std::free(block);
}
__attribute__((noinline)) void churnFromB() {
    void* block = std::malloc(80);
    g_sink = block;
    std::free(block);
}

__attribute__((noinline)) void leakAtBottom(long rounds) {
    for (long round = 0; round < rounds; ++round) {
        if (round & 1)
            churnFromB();
        else
            churnFromA();
    }
}

// noinline, and the call's result passed through an opaque asm after it: every level is a real frame
// (no tail call, and no loop made of the recursion, which -O2 does to `return descend(...) + x`).
__attribute__((noinline)) int descend(int level, int levels, long rounds) {
    if (level == levels) {
        leakAtBottom(rounds);
        g_sink = std::malloc(8000);
        g_sink = std::calloc(1, 3000);
        void* grown = std::malloc(16);
        g_sink = grown;
        g_sink = std::realloc(grown, 2000);
        g_sink = new char[1000];
        g_sink = nullptr;
        return 1;
    }
    int reached = descend(level + 1, levels, rounds);
    asm volatile("" : "+r"(reached)::"memory");
    return reached;
}

}  // namespace

int main(int argc, char** argv) {
    int levels = argc > 1 ? std::atoi(argv[1]) : 300;
    long rounds = argc > 2 ? std::atol(argv[2]) : 0;
    if (levels < 1 || rounds < 0) {
        std::fprintf(stderr, "usage: deep_stack [LEVELS >= 1] [ROUNDS >= 0]\n");
        return 2;
    }
    int reached = descend(1, levels, rounds);
    std::printf("recursed %d deep, bottom reached %d time(s)\n", levels, reached);
    return reached == 1 ? 0 : 1;
}
