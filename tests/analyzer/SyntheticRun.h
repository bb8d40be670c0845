// Test-only: synthetic snapshot series whose stacks point into this test executable, so the real
// symbolizer names real functions and files (the analyzer reads the files offline; the test process
// stays mapped at the recorded addresses only for the module map's sake).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "SnapshotBuilder.h"

namespace leakscope::testing {

struct SelfModule {
    std::string path;
    uint64_t load_bias = 0, start = 0, end = 0;
    std::string build_id;
};

// The main executable's module record as the preload would write it.
SelfModule selfModule();

// Noinline functions of this test program, used as the "callers of malloc" in synthetic stacks.
extern "C" void synthetic_leaky_function();
extern "C" void synthetic_cache_function();
extern "C" void synthetic_socket_opener();

// A builder with the self module and three stacks: 1 = leaky, 2 = cache, 3 = socket opener.
SnapshotBuilder syntheticSnapshot(uint64_t pid, const std::string& label, uint64_t sequence, uint32_t index);

// Writes a "cycle" series of `cycles` snapshots and an exit snapshot for one pid into dir: stack 1 leaks
// 3 blocks of 128 B per cycle, stack 2 fills a cache once, stack 3 leaks one socket per cycle (`leak_socket`).
// Returns the files written.
std::vector<std::string> writeLeakySeries(const std::string& dir, uint64_t pid, int cycles, bool leak_socket = true);

}  // namespace leakscope::testing
