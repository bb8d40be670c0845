// W5: a large live heap, snapshotted repeatedly. Builds --live blocks (1M by default) from 8 distinct
// allocation sites, then --snapshots times: leaks --growth more blocks from grow_per_cycle (a real
// per-cycle leak for `leakscope report` to find) and calls leakscope_snapshot("cycle"), timing each
// call with the monotonic clock. The timings are printed on one line for scripts/bench:
//
//   workload_live_heap: live=1000000 tracked=1 snapshot_ms=812.4,799.0,...
//
// Without the preload leakscope_snapshot is a no-op (tracked=0) and the times are the call overhead.
#include <leakscope/leakscope.h>

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "WorkloadOptions.h"

namespace {

template <int Site>
__attribute__((noinline)) void* allocateAtSite(size_t size) {
    void* block = std::malloc(size);
    asm volatile("" ::: "memory");  // keep this frame: one stack per site
    return block;
}

using AllocateSite = void* (*)(size_t);
constexpr AllocateSite kHeapSites[] = {&allocateAtSite<0>, &allocateAtSite<1>, &allocateAtSite<2>,
                                       &allocateAtSite<3>, &allocateAtSite<4>, &allocateAtSite<5>,
                                       &allocateAtSite<6>, &allocateAtSite<7>};

extern "C" __attribute__((noinline)) void* grow_per_cycle(size_t size) {
    void* block = std::malloc(size);
    asm volatile("" ::: "memory");
    return block;
}

void* checked(void* block, size_t size) {
    if (!block) {
        std::fprintf(stderr, "workload_live_heap: malloc(%zu) failed\n", size);
        std::exit(1);
    }
    static_cast<unsigned char*>(block)[0] = 1;  // touch it: a live block costs real memory
    return block;
}

double monotonicMs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t live = 1'000'000, snapshots = 10, growth = 1000;
    workloads::parseOptions(argc, argv,
                            {{"live", &live, "blocks kept live while snapshotting"},
                             {"snapshots", &snapshots, "leakscope_snapshot(\"cycle\") calls"},
                             {"growth", &growth, "blocks leaked per cycle from grow_per_cycle"}});

    std::vector<void*> heap;
    heap.reserve(live + snapshots * growth);
    for (uint64_t i = 0; i < live; ++i) {
        size_t size = 16 + (i % 5) * 16;
        heap.push_back(checked(kHeapSites[i % 8](size), size));
    }

    std::string timings;
    for (uint64_t cycle = 0; cycle < snapshots; ++cycle) {
        for (uint64_t i = 0; i < growth; ++i) heap.push_back(checked(grow_per_cycle(48), 48));
        double start = monotonicMs();
        leakscope_snapshot("cycle");
        double elapsed = monotonicMs() - start;
        char text[32];
        std::snprintf(text, sizeof text, "%s%.3f", cycle ? "," : "", elapsed);
        timings += text;
    }
    std::printf("workload_live_heap: live=%llu tracked=%d snapshot_ms=%s\n",
                static_cast<unsigned long long>(live), leakscope_active(), timings.c_str());

    for (void* block : heap) std::free(block);
    return 0;
}
