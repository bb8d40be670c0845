#include "ReachabilityCases.h"

namespace leakscope::testing {

ClassCounts classesOfSize(const snapshot::Snapshot& snapshot, uint64_t size) {
    ClassCounts counts;
    for (size_t i = 0; i < snapshot.allocations.size(); ++i)
        if (snapshot.allocations[i].size == size) ++counts[snapshot::reachabilityName(snapshot.reachabilityOf(i))];
    return counts;
}

std::string describe(const ClassCounts& counts) {
    std::string text;
    for (const auto& [name, count] : counts) text += (text.empty() ? "" : ", ") + name + ": " + std::to_string(count);
    return text.empty() ? "none" : text;
}

ClassCounts expectedClasses(uint64_t size, int cycles, bool at_exit) {
    const auto n = static_cast<uint64_t>(cycles);
    switch (size) {
        case kLostPerCycle:
            if (at_exit) return {{"definitely lost", n}};
            if (n == 1) return {{"still reachable", 1}};
            return {{"definitely lost", n - 1}, {"still reachable", 1}};
        case kListNode: return {{"still reachable", n}};
        case kTreeRoot: return {{"definitely lost", 1}};
        case kTreeChild: return {{"indirectly lost", 3}};
        case kInteriorOnly: return {{"possibly lost", 1}};
        case kOtherThreadStack: return {{"still reachable", 1}};
        case kModuleData: return {{"still reachable", 1}};
    }
    return {};
}

std::vector<std::string> reachCasesCommand(int cycles, long extra_blocks) {
    std::vector<std::string> command = {LEAKSCOPE_TARGET_REACH_CASES, LEAKSCOPE_TARGET_REACH_MODULE, std::to_string(cycles)};
    if (extra_blocks > 0) command.push_back(std::to_string(extra_blocks));
    return command;
}

}  // namespace leakscope::testing
