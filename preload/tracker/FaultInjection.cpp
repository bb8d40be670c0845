// Fault-injection rules: the per-allocation decision (hot only when configured); the grammar is faultspec/.
#include "tracker/FaultInjection.h"

#include <atomic>

#include "faultspec/FaultSpec.h"
#include "leakscope/ReturnAddress.h"
#include "lifecycle/Log.h"
#include "tables/SpinLock.h"
#include "unwind/SymbolRanges.h"

namespace leakscope::preload::fault_injection {
namespace {

using faultspec::kMaxRules;
constexpr size_t kMaxRangesPerRule = 16;

// A parsed rule (faultspec::Rule) and its state in this process.
struct Rule : faultspec::Rule {
    std::atomic<uint64_t> matched{0};
    std::atomic<uint64_t> failed{0};
    // function=: the symbol's ranges, resolved lazily and again whenever modules change.
    AddressRange ranges[kMaxRangesPerRule] = {};
    size_t range_count = 0;
    uint64_t ranges_generation = UINT64_MAX;
};

Rule gRules[kMaxRules];
size_t gRuleCount = 0;
std::atomic<bool> gActive{false};
SpinLock gRangesLock;  // serialises the lazy symbol resolution

bool stackInFunction(Rule& rule, const uint64_t* frames, uint16_t depth) noexcept {
    if (!frames) return false;
    {
        SpinLockHolder hold(gRangesLock);
        uint64_t generation = moduleGeneration();
        if (generation != rule.ranges_generation) {
            rule.range_count = findFunctionRanges(rule.function, rule.ranges, kMaxRangesPerRule);
            rule.ranges_generation = generation;
        }
    }
    for (uint16_t i = 0; i < depth; ++i) {
        // Every frame, frame 0 included, is a return address: look up the call (ReturnAddress.h).
        uint64_t pc = leakscope::snapshot::callSiteOf(frames[i]);
        for (size_t r = 0; r < rule.range_count; ++r)
            if (pc >= rule.ranges[r].start && pc < rule.ranges[r].end) return true;
    }
    return false;
}

}  // namespace

bool configure(const char* spec) noexcept {
    if (!spec || !*spec) return false;
    char why[256] = "";
    faultspec::Rule parsed[kMaxRules];
    int count = faultspec::parse(spec, parsed, why, sizeof(why));
    if (count < 0) {
        logMessage(LogLevel::Warn, "LEAKSCOPE_FAIL_ALLOC=\"%s\" %s; fault injection is off", spec, why);
        return false;
    }
    gRuleCount = static_cast<size_t>(count);
    for (size_t i = 0; i < gRuleCount; ++i) static_cast<faultspec::Rule&>(gRules[i]) = parsed[i];
    gActive.store(true, std::memory_order_release);
    return true;
}

bool active() noexcept { return gActive.load(std::memory_order_relaxed); }

bool shouldFail(size_t size, const uint64_t* frames, uint16_t depth) noexcept {
    bool fail = false;
    for (size_t i = 0; i < gRuleCount; ++i) {
        Rule& rule = gRules[i];
        if (rule.has_above && size <= rule.above) continue;
        if (rule.function[0] && !stackInFunction(rule, frames, depth)) continue;
        uint64_t match = rule.matched.fetch_add(1, std::memory_order_relaxed) + 1;
        if (rule.nth && match != rule.nth) continue;
        if (rule.every && match % rule.every != 0) continue;
        if (rule.limit && rule.failed.fetch_add(1, std::memory_order_relaxed) >= rule.limit) continue;
        if (!rule.limit) rule.failed.fetch_add(1, std::memory_order_relaxed);
        fail = true;  // keep going: the other rules count this request too
    }
    return fail;
}

void releaseLockOwnedHere() noexcept { gRangesLock.releaseIfOwnedHere(); }

}  // namespace leakscope::preload::fault_injection
