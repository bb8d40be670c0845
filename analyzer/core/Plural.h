// A count with its noun in the right number ("1 site", "5 sites", "2 processes"), for the report text
// people read: "site(s)" made every count read like a guess.
#pragma once

#include <cstdint>
#include <string>

namespace leakscope::analyzer {

// `count` then `singular` when it is 1, else `plural` ("" = `singular` + "s").
inline std::string counted(uint64_t count, const std::string& singular, const std::string& plural = "") {
    return std::to_string(count) + " " + (count == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

}  // namespace leakscope::analyzer
