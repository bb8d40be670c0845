// The CI gate of `check` and `run --check`: drops suppressed and baselined findings, marks the ones
// that fail (by --fail-on kinds and the per-cycle / exit thresholds) and sets the verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/FindingTypes.h"
#include "core/Report.h"

namespace leakscope::analyzer {

// The categories `--fail-on` accepts (Gate.cpp): every finding type of core/FindingTypes.h, and `lost`
// right after growth (memory growth whose per-cycle bytes are mostly definitely or indirectly lost,
// Reachability.h) so a gate can fail on lost memory and only inform about a list that keeps every entry
// (still reachable).
struct GateCategory {
    const char* name;
    bool in_default;      // part of the default --fail-on
    const char* meaning;  // for people: what it fails on
};
const std::vector<GateCategory>& gateCategories();

struct GateOptions {
    std::optional<uint64_t> max_bytes_per_cycle;   // memory growth up to this passes
    std::optional<uint64_t> max_handles_per_cycle; // handle growth up to this passes
    std::optional<uint64_t> max_exit_bytes;        // more bytes live at exit (per process) fails
    // Types with FindingType::fails_by_default (core/FindingTypes.cpp says why the others do not gate).
    std::string fail_on = defaultFailOn();
    std::string suppressions;                      // file, "" = none
    std::string baseline;                          // file, "" = none
    bool update_baseline = false;
};

// Errors (InvalidArgument/NotFound, one line naming the file:line or option): bad --fail-on, a
// malformed suppressions file, an unreadable baseline, --update-baseline without --baseline.
absl::Status applyGate(Report& report, const GateOptions& options);

}  // namespace leakscope::analyzer
