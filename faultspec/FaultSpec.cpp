// The LEAKSCOPE_FAIL_ALLOC grammar (see FaultSpec.h). No allocation, no exceptions, no locks: the
// preload parses with it from its constructor.
#include "faultspec/FaultSpec.h"

#include <cstdio>
#include <cstring>

namespace leakscope::faultspec {
namespace {

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

}  // namespace

int parse(const char* spec, Rule (&rules)[kMaxRules], char* why, size_t why_size) noexcept {
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

bool isValid(const char* spec, char* why, size_t why_size) noexcept {
    Rule scratch[kMaxRules];
    return parse(spec, scratch, why, why_size) > 0;
}

}  // namespace leakscope::faultspec
