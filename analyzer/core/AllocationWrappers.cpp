#include "core/AllocationWrappers.h"

#include <set>
#include <utility>

namespace leakscope::analyzer {
namespace {

bool isInstalled(const std::string& path) {
    for (const char* prefix : {"/usr/", "/lib/", "/lib64/", "/lib32/"})
        if (path.rfind(prefix, 0) == 0) return true;
    return false;
}

// One frame of a stack as the wrapper detection reads it: the Symbolizer's cached frame (borrowed, not
// copied: this looks at the first frames of every stack of every process) and its recorded address.
struct FrameRef {
    const SymbolizedFrame* frame;
    uint64_t address;
    const SymbolizedFrame* operator->() const { return frame; }
};

// The first frames below the allocator's own, symbolized one return address at a time (the outer
// frames decide nothing here). Empty when the stack is all allocator frames.
constexpr size_t kFramesLookedAt = 8;

std::vector<FrameRef> innerFrames(Symbolizer& symbolizer, const ProcessSnapshots& process,
                                  const std::vector<uint64_t>& frames) {
    std::vector<FrameRef> found;
    for (size_t i = 0; i < frames.size() && found.size() < kFramesLookedAt; ++i)
        for (const auto& frame : symbolizer.framesAt(process.modules, frames[i], true)) {
            if (found.empty() && isAllocatorFrame(frame)) continue;
            found.push_back({&frame, frames[i]});
        }
    return found;
}

struct Tally {
    int stacks = 0;
    std::set<std::string> callers;  // distinct call sites ("function@return address")
    bool called_from_own_module = false;
};

// One round: the wrapper candidates among the stacks' first frames that are not a known wrapper.
// A wrapper is often reached through another one of its library (lws_zalloc -> lws_realloc): the
// next round looks below the wrappers found so far.
bool detectRound(const std::vector<std::vector<FrameRef>>& stacks, const std::string& executable, HeadlineRules& rules) {
    std::map<std::string, int> stacks_per_module;
    std::map<std::pair<std::string, std::string>, Tally> per_function;
    for (const auto& frames : stacks) {
        size_t i = 0;
        while (i < frames.size() && rules.wrappers.count({frames[i]->module, frames[i]->function})) ++i;
        if (i >= frames.size()) continue;
        const SymbolizedFrame& frame = *frames[i].frame;
        if (frame.module.empty() || frame.module == executable || isRuntimeFrame(frame)) continue;
        stacks_per_module[frame.module] += 1;
        Tally& tally = per_function[{frame.module, frame.function}];
        tally.stacks += 1;
        if (i + 1 < frames.size()) {
            tally.callers.insert(frames[i + 1]->function + "@" + std::to_string(frames[i + 1].address));
            tally.called_from_own_module = tally.called_from_own_module || frames[i + 1]->module == frame.module;
        }
    }
    bool found = false;
    for (const auto& [function, tally] : per_function)
        if (tally.stacks >= kMinWrapperStacks && (tally.callers.size() >= 2 || tally.called_from_own_module) &&
            2 * tally.stacks > stacks_per_module[function.first])
            found = rules.wrappers.insert(function).second || found;
    return found;
}

void detectWrappers(const ProcessSnapshots& process, Symbolizer& symbolizer, HeadlineRules& rules) {
    std::set<StackId> memory_stacks;
    for (const auto& snapshot : process.snapshots)
        for (const auto& [stack, usage] : snapshot.memory) memory_stacks.insert(stack);
    std::vector<std::vector<FrameRef>> stacks;
    for (StackId stack : memory_stacks)
        if (stack != 0 && stack < process.stacks.size()) stacks.push_back(innerFrames(symbolizer, process, process.stacks[stack]));
    std::string executable = moduleBasename(process.executable);
    for (int round = 0; round < 3 && detectRound(stacks, executable, rules); ++round) {
    }
}

}  // namespace

std::map<uint64_t, HeadlineRules> headlineRules(const SnapshotSet& set, Symbolizer& symbolizer,
                                                const std::vector<std::string>& alloc_fns) {
    std::map<uint64_t, HeadlineRules> rules;
    for (const auto& process : set.processes) {
        HeadlineRules& process_rules = rules[process.pid];
        process_rules.alloc_fns = alloc_fns;
        for (const auto& module : process.modules)
            if (isInstalled(module.path)) process_rules.system_modules.insert(moduleBasename(module.path));
        detectWrappers(process, symbolizer, process_rules);
    }
    return rules;
}

}  // namespace leakscope::analyzer
