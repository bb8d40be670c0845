// W1/W2: the malloc/free storm of the benchmark issue. Each operation frees the oldest block of a ring
// of `--window` live blocks and allocates a new one through a 12-frame call chain (DeepAllocation.cpp).
//
//   workload_storm [--ops 2000000] [--window 1024] [--threads 1] [--leak 16]
//
// --ops is the total over all threads (each thread runs ops/threads operations on its own ring), so
// the work is the same whatever the thread count and the ratio to no-tool compares like with like.
// With one thread the storm runs on the main thread, so main is the outermost frame of every stack.
// At the end the newest --leak blocks of each ring stay allocated on purpose: they are the exit
// leaks whose stacks scripts/bench checks for completeness.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "DeepAllocation.h"
#include "WorkloadOptions.h"

namespace {

// Blocks deliberately leaked at exit; a global so the pointers stay reachable (valgrind files them
// as "still reachable", not lost, which is what a leak across a lifecycle looks like too).
std::vector<void*> g_leakedBlocks;

struct StormResult {
    uint64_t checksum = 0;            // keeps the writes into the blocks observable
    std::vector<void*> survivors;     // the newest blocks, left allocated
};

// Pseudo-random sizes from 16 to 527 bytes (xorshift64, fixed seed: every run does the same work).
// Random, because a size pattern that repeats with the ring period hands every malloc the block the
// same slot just freed, a best case that no real program sees.
size_t nextBlockSize(uint64_t& state) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return 16 + state % 512;
}

StormResult runStormRing(uint64_t operations, uint64_t window, uint64_t leakCount) {
    StormResult result;
    std::vector<void*> ring(window, nullptr);
    uint64_t sizeState = 0x9E3779B97F4A7C15ull;
    for (uint64_t operation = 0; operation < operations; ++operation) {
        void*& slot = ring[operation % window];
        std::free(slot);
        size_t size = nextBlockSize(sizeState);
        auto* block = static_cast<unsigned char*>(storm_frame_01(size));
        if (!block) {
            std::fprintf(stderr, "workload_storm: malloc(%zu) failed\n", size);
            std::exit(1);
        }
        block[0] = static_cast<unsigned char>(operation);
        block[size - 1] = static_cast<unsigned char>(operation >> 8);
        result.checksum += block[0];
        slot = block;
    }
    // Free all but the newest leakCount blocks, oldest first.
    uint64_t live = operations < window ? operations : window;
    uint64_t keep = leakCount < live ? leakCount : live;
    for (uint64_t age = live; age > 0; --age) {
        void* block = ring[(operations - age) % window];
        if (age <= keep) {
            result.survivors.push_back(block);
        } else {
            std::free(block);
        }
    }
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t operations = 2'000'000, window = 1024, threads = 1, leakCount = 16;
    workloads::parseOptions(argc, argv,
                            {{"ops", &operations, "malloc+free operations, total over all threads"},
                             {"window", &window, "live blocks per thread (ring size)"},
                             {"threads", &threads, "storm threads (1: the main thread)"},
                             {"leak", &leakCount, "blocks per thread left allocated at exit"}});
    if (threads == 0) threads = 1;  // a ring and a thread are the least a storm needs
    if (window == 0) window = 1;

    std::vector<StormResult> results(threads);
    if (threads == 1) {
        results[0] = runStormRing(operations, window, leakCount);
    } else {
        std::vector<std::thread> workers;
        for (uint64_t t = 0; t < threads; ++t)
            workers.emplace_back([&, t] { results[t] = runStormRing(operations / threads, window, leakCount); });
        for (std::thread& worker : workers) worker.join();
    }

    uint64_t checksum = 0;
    for (StormResult& result : results) {
        checksum += result.checksum;
        g_leakedBlocks.insert(g_leakedBlocks.end(), result.survivors.begin(), result.survivors.end());
    }
    std::printf("workload_storm: ops=%llu threads=%llu window=%llu leaked=%zu checksum=%llu\n",
                static_cast<unsigned long long>(operations), static_cast<unsigned long long>(threads),
                static_cast<unsigned long long>(window), g_leakedBlocks.size(),
                static_cast<unsigned long long>(checksum));
    return 0;
}
