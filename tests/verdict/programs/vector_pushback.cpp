// A std::vector<int> that gains one element per cycle and is never trimmed: a real leak whose one block is
// reallocated by capacity doubling (4 8 16 ... bytes), so the block count stays 1 and the bytes step up at
// doubling spacings (l_vector_pushback.cpp's kind). Usage: verdict_vector_pushback [CYCLES]
#include <cstdlib>
#include <vector>

#include "leakscope/leakscope.h"

static std::vector<int> g_samples;

__attribute__((noinline)) void record_sample(int value) { g_samples.push_back(value); }

int main(int argc, char** argv) {
    int cycles = argc > 1 ? std::atoi(argv[1]) : 60;
    for (int c = 0; c < cycles; ++c) {
        record_sample(c * 7);
        leakscope_snapshot("cycle");
    }
    return 0;
}
