// Fault-injection rules: parsing (cold) and the per-allocation decision (hot only when configured).
#include "tracker/FaultInjection.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "lifecycle/Log.h"
#include "tables/SpinLock.h"
#include "unwind/SymbolRanges.h"

namespace leakscope::preload::fault_injection {
namespace {

constexpr size_t kMaxRules = 8;
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxRangesPerRule = 16;

struct Rule {
    char function[kMaxNameLength + 1] = "";
    bool has_above = false;
    uint64_t above = 0;
    uint64_t nth = 0;    // 0: not a condition
    uint64_t every = 0;  // 0: not a condition
    uint64_t limit = 0;  // 0: unlimited
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

bool parseNumber(const char* text, size_t length, uint64_t* value) noexcept {
    if (length == 0 || length > 19) return false;
    uint64_t result = 0;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        result = result * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    *value = result;
    return true;
}

void setReason(char* why, size_t why_size, const char* condition, size_t length, const char* problem) noexcept {
    snprintf(why, why_size, "condition \"%.*s\" %s", static_cast<int>(length), condition, problem);
}

// Parses "key=value" into the rule; false with a reason on error.
bool parseCondition(const char* text, size_t length, Rule& rule, char* why, size_t why_size) noexcept {
    const char* equals = static_cast<const char*>(std::memchr(text, '=', length));
    if (!equals) {
        setReason(why, why_size, text, length, "is not key=value");
        return false;
    }
    size_t key_length = static_cast<size_t>(equals - text);
    const char* value = equals + 1;
    size_t value_length = length - key_length - 1;
    auto keyIs = [&](const char* key) { return std::strlen(key) == key_length && std::memcmp(text, key, key_length) == 0; };
    if (keyIs("function")) {
        if (value_length == 0 || value_length > kMaxNameLength) {
            setReason(why, why_size, text, length, "needs a function name of 1 to 255 bytes");
            return false;
        }
        std::memcpy(rule.function, value, value_length);
        rule.function[value_length] = '\0';
        return true;
    }
    // The key is judged before the value so "colour=blue" is reported as the unknown key it is.
    if (!keyIs("above") && !keyIs("nth") && !keyIs("every") && !keyIs("limit")) {
        setReason(why, why_size, text, length, "has an unknown key (function, above, nth, every, limit)");
        return false;
    }
    uint64_t number = 0;
    if (!parseNumber(value, value_length, &number)) {
        setReason(why, why_size, text, length, "needs a non-negative decimal number");
        return false;
    }
    if (keyIs("above")) {
        rule.has_above = true;
        rule.above = number;
    } else if ((keyIs("nth") || keyIs("every") || keyIs("limit")) && number == 0) {
        setReason(why, why_size, text, length, "needs a number of at least 1");
        return false;
    } else if (keyIs("nth")) {
        rule.nth = number;
    } else if (keyIs("every")) {
        rule.every = number;
    } else {
        rule.limit = number;
    }
    return true;
}

// Parses the whole spec into `rules`; returns the rule count, or -1 with a reason.
int parseSpec(const char* spec, Rule* rules, char* why, size_t why_size) noexcept {
    size_t count = 0;
    for (const char* rule_text = spec; *rule_text;) {
        const char* rule_end = std::strchr(rule_text, ';');
        size_t rule_length = rule_end ? static_cast<size_t>(rule_end - rule_text) : std::strlen(rule_text);
        if (rule_length > 0) {
            if (count == kMaxRules) {
                snprintf(why, why_size, "has more than %zu rules", kMaxRules);
                return -1;
            }
            Rule& rule = rules[count++];
            for (size_t offset = 0; offset < rule_length;) {
                const char* condition = rule_text + offset;
                const char* comma = static_cast<const char*>(std::memchr(condition, ',', rule_length - offset));
                size_t length = comma ? static_cast<size_t>(comma - condition) : rule_length - offset;
                if (length == 0) {
                    snprintf(why, why_size, "has an empty condition");
                    return -1;
                }
                if (!parseCondition(condition, length, rule, why, why_size)) return -1;
                offset += length + 1;
            }
        }
        if (!rule_end) break;
        rule_text = rule_end + 1;
    }
    if (count == 0) {
        snprintf(why, why_size, "has no rule");
        return -1;
    }
    return static_cast<int>(count);
}

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
        // Frame 0 is a return address into the caller; -1 puts it inside the call instruction.
        uint64_t pc = frames[i] - 1;
        for (size_t r = 0; r < rule.range_count; ++r)
            if (pc >= rule.ranges[r].start && pc < rule.ranges[r].end) return true;
    }
    return false;
}

}  // namespace

bool parseForTest(const char* spec, char* why, size_t why_size) noexcept {
    static Rule scratch[kMaxRules];
    for (Rule& rule : scratch) rule.~Rule(), new (&rule) Rule();
    return parseSpec(spec, scratch, why, why_size) > 0;
}

bool configure(const char* spec) noexcept {
    if (!spec || !*spec) return false;
    char why[256] = "";
    int count = parseSpec(spec, gRules, why, sizeof(why));
    if (count < 0) {
        for (Rule& rule : gRules) rule.~Rule(), new (&rule) Rule();
        logMessage(LogLevel::Warn, "LEAKSCOPE_FAIL_ALLOC=\"%s\" %s; fault injection is off", spec, why);
        return false;
    }
    gRuleCount = static_cast<size_t>(count);
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

}  // namespace leakscope::preload::fault_injection
