// What tests/reachability/programs/reach_cases allocates, and how its snapshots are counted: every case
// has its own block size, so classes can be checked block by block without symbolizing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "leakscope/SnapshotReader.h"

namespace leakscope::testing {

enum CaseSize : uint64_t {
    kLostPerCycle = 1001,
    kListNode = 1002,
    kTreeRoot = 1003,
    kTreeChild = 1004,
    kInteriorOnly = 1005,
    kOtherThreadStack = 1006,
    kModuleData = 1007,
};
inline const std::vector<uint64_t> kCaseSizes = {kLostPerCycle, kListNode,        kTreeRoot,  kTreeChild,
                                                  kInteriorOnly, kOtherThreadStack, kModuleData};

// Class name -> number of blocks of `size` with that class ("definitely lost": 3, ...).
using ClassCounts = std::map<std::string, uint64_t>;
ClassCounts classesOfSize(const snapshot::Snapshot& snapshot, uint64_t size);
// "definitely lost: 3, still reachable: 1" (or "none"), for comparisons that print well.
std::string describe(const ClassCounts& counts);

// The classes reach_cases must have after `cycles` cycles; at exit (`at_exit`) the lost-per-cycle
// global is cleared too.
ClassCounts expectedClasses(uint64_t size, int cycles, bool at_exit);

// The command line of reach_cases.
std::vector<std::string> reachCasesCommand(int cycles, long extra_blocks = 0);

}  // namespace leakscope::testing
