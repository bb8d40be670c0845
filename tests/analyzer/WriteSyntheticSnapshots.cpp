// Test/benchmark helper: writes a synthetic run for timing `leakscope report` at scale.
// Usage: analyzer_write_snapshots DIR SNAPSHOTS ALLOCATIONS_PER_SNAPSHOT
// Stacks point into this program (SyntheticRun.h); 1,000 distinct stacks, one of which leaks per cycle.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "SyntheticRun.h"

using namespace leakscope::testing;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s DIR SNAPSHOTS ALLOCATIONS_PER_SNAPSHOT\n", argv[0]);
        return 2;
    }
    std::string dir = argv[1];
    int snapshots = std::atoi(argv[2]);
    long allocations = std::atol(argv[3]);
    if (snapshots < 1 || allocations < 1) return std::fprintf(stderr, "SNAPSHOTS and ALLOCATIONS must be positive\n"), 2;
    std::filesystem::create_directories(dir);
    auto base = reinterpret_cast<uint64_t>(&synthetic_leaky_function) + 1;  // a return address inside it
    for (int s = 0; s < snapshots; ++s) {
        auto builder = syntheticSnapshot(4242, "cycle", 10'000'000 * uint64_t(s + 1), uint32_t(s));
        for (uint32_t id = 4; id < 1004; ++id) builder.stack(id, {base, base + id, base + 2 * id});
        for (long a = 0; a < allocations; ++a)
            builder.allocation(0x100000 + 16 * uint64_t(a), 32, uint64_t(a), uint32_t(4 + a % 1000));
        for (int leak = 0; leak <= s; ++leak) builder.allocation(0x9000000 + 64 * uint64_t(leak), 64, 1, 1);
        builder.writeTo(dir);
    }
    return 0;
}
