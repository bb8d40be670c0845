// Sequence numbers (tracker/ThreadState.cpp): allocations take theirs from per-thread blocks, handles
// and events from the one process-wide counter. What the snapshot reader and `leakscope diff` rely on:
// numbers are unique, each kind increases on each thread, and a snapshot's header `sequence` separates what was
// numbered before it from what is numbered after it, on every thread.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

using namespace leakscope::preload;

TEST_CASE("sequence: numbers from 4 threads are unique, and each kind increases on each thread") {
    // Only each kind on its own is ordered on a thread: an allocation number can be below a handle
    // number taken before it (the block was reserved earlier), which nothing compares.
    constexpr int kThreads = 4;
    constexpr int kPerThread = 5000;  // several blocks per thread
    std::vector<std::vector<uint64_t>> allocations(kThreads), shared(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&allocations, &shared, t] {
            for (int i = 0; i < kPerThread; ++i) {
                allocations[t].push_back(nextAllocationSequence());
                if (i % 100 == 0) shared[t].push_back(nextSequence());  // the process-wide counter, interleaved
            }
        });
    for (std::thread& thread : threads) thread.join();
    std::vector<uint64_t> all;
    for (int t = 0; t < kThreads; ++t) {
        for (const auto* numbers : {&allocations[t], &shared[t]}) {
            CHECK(std::is_sorted(numbers->begin(), numbers->end()));
            all.insert(all.end(), numbers->begin(), numbers->end());
        }
    }
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
    CHECK(all.front() > 0);  // 0 marks the tracker's own blocks
}

TEST_CASE("sequence: a snapshot's sequence is above every number taken before it and at most every one after") {
    // A thread that reserved its block before the snapshot, and one that starts after it.
    const uint64_t before_here = nextAllocationSequence();
    uint64_t before_other = 0;
    std::thread early([&before_other] { before_other = nextAllocationSequence(); });
    early.join();
    const uint64_t handle_before = nextSequence();
    const uint64_t boundary = sequenceAtSnapshot();
    CHECK(before_here < boundary);
    CHECK(before_other < boundary);
    CHECK(handle_before < boundary);
    // The block this thread reserved before the snapshot still has numbers below the boundary: they
    // must not be used any more.
    const uint64_t after_here = nextAllocationSequence();
    CHECK(after_here >= boundary);
    uint64_t after_other = 0;
    std::thread late([&after_other] { after_other = nextAllocationSequence(); });
    late.join();
    CHECK(after_other >= boundary);
    CHECK(nextSequence() >= boundary);
    // A second snapshot moves the boundary on, past the block reserved after the first.
    const uint64_t second = sequenceAtSnapshot();
    CHECK(second > after_here);
    CHECK(nextAllocationSequence() >= second);
}
