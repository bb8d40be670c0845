// 100,000 throw/catch through a few frames, each with an allocation: if libunwind's _Unwind_* ever
// reached the global scope under the preload, this would run ~100x slower. Prints a checksum that
// must be the same with and without the preload.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

__attribute__((noinline)) int thrower(int depth, int value) {
    if (depth == 0) throw std::runtime_error("value " + std::to_string(value));
    return thrower(depth - 1, value) + 1;
}

}  // namespace

int main(int argc, char** argv) {
    long iterations = argc > 1 ? std::atol(argv[1]) : 100000;
    long checksum = 0;
    for (long i = 0; i < iterations; ++i) {
        try {
            checksum += thrower(4, static_cast<int>(i % 1000));
        } catch (const std::runtime_error& error) {
            checksum += static_cast<long>(std::string(error.what()).size());
        }
    }
    std::printf("iterations=%ld checksum=%ld\n", iterations, checksum);
    return 0;
}
