// The grammar of a fault-injection spec (LEAKSCOPE_FAIL_ALLOC, `leakscope run --fail-alloc`; documented
// in docs/configuration.md): rules separated by ';' (empty rules ignored), each a ','-separated list of
// conditions that must all hold: function=NAME (1..255 bytes, exact ELF symbol name), above=BYTES,
// nth=N, every=N, limit=N (decimal, at most 19 digits; nth/every/limit at least 1). At most kMaxRules
// rules; a spec with none is an error.
//
// Parsing only: what a rule does to an allocation is the preload's (tracker/FaultInjection.h). Used by
// the preload and by the analyzer, which refuses a bad --fail-alloc as a usage error. No allocation,
// no exceptions, no locks, no dependency on the preload.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::faultspec {

inline constexpr size_t kMaxRules = 8;
inline constexpr size_t kMaxNameLength = 255;

struct Rule {
    char function[kMaxNameLength + 1] = "";  // "": not a condition
    bool has_above = false;
    uint64_t above = 0;  // bytes; the request must be larger
    uint64_t nth = 0;    // 0: not a condition
    uint64_t every = 0;  // 0: not a condition
    uint64_t limit = 0;  // 0: unlimited
};

// Parses `spec` into rules[0..n) (which must be default-constructed) and returns n >= 1; on a bad spec
// returns -1 and writes one reason naming the bad part into `why` (e.g. `condition "nth=0" needs a
// number of at least 1`); `rules` may then be partly written.
int parse(const char* spec, Rule (&rules)[kMaxRules], char* why, size_t why_size) noexcept;

// parse() into scratch rules: true when `spec` is valid, else false with the reason in `why`.
bool isValid(const char* spec, char* why, size_t why_size) noexcept;

}  // namespace leakscope::faultspec
