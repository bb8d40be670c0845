#include "core/Gate.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "core/Baseline.h"
#include "core/Suppressions.h"

namespace leakscope::analyzer {
namespace {

absl::StatusOr<std::set<std::string>> parseFailOn(const std::string& list) {
    std::set<std::string> kinds;
    for (auto piece : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
        std::string kind(piece);
        const auto& types = findingTypes();
        if (std::find(types.begin(), types.end(), kind) == types.end())
            return absl::InvalidArgumentError("--fail-on: unknown finding type \"" + kind + "\" (use " + findingTypeList() + ")");
        kinds.insert(kind);
    }
    return kinds;
}

// Removes findings matched by `drop`, returning how many went.
template <typename Predicate>
int removeFindings(std::vector<Finding>& findings, Predicate drop) {
    auto kept = std::stable_partition(findings.begin(), findings.end(), [&](const Finding& f) { return !drop(f); });
    int removed = int(findings.end() - kept);
    findings.erase(kept, findings.end());
    return removed;
}

}  // namespace

absl::Status applyGate(Report& report, const GateOptions& options) {
    auto fail_on = parseFailOn(options.fail_on);
    if (!fail_on.ok()) return fail_on.status();
    if (options.update_baseline && options.baseline.empty())
        return absl::InvalidArgumentError("--update-baseline needs --baseline FILE");

    if (!options.suppressions.empty()) {
        auto rules = readSuppressions(options.suppressions);
        if (!rules.ok()) return rules.status();
        report.suppressed += removeFindings(report.findings, [&](const Finding& f) {
            return std::any_of(rules->begin(), rules->end(), [&](const Suppression& rule) { return suppressionMatches(rule, f); });
        });
    }
    if (options.update_baseline) {
        if (auto status = writeBaseline(options.baseline, report.findings); !status.ok()) return status;
        report.notes.push_back("baseline written to " + options.baseline);
    }
    if (!options.baseline.empty()) {
        auto accepted = readBaseline(options.baseline);
        if (!accepted.ok()) return accepted.status();
        report.baselined += removeFindings(report.findings, [&](const Finding& f) { return accepted->count(f.stack_key) > 0; });
    }

    std::map<uint64_t, uint64_t> exit_bytes_per_pid;
    for (const auto& f : report.findings)
        if (f.type == kExitLeak) exit_bytes_per_pid[f.pid] += f.bytes;
    report.leak = false;
    for (auto& f : report.findings) {
        bool listed = fail_on->count(f.type) > 0;
        if (f.type == kGrowth && f.resource == "memory" && options.max_bytes_per_cycle)
            listed = listed && f.bytes_per_cycle > double(*options.max_bytes_per_cycle);
        if (f.type == kGrowth && f.resource == "handle" && options.max_handles_per_cycle)
            listed = listed && f.count_per_cycle > double(*options.max_handles_per_cycle);
        // --max-exit-bytes turns exit leaks into a gate of their own: the process's total counts.
        if (f.type == kExitLeak && options.max_exit_bytes) listed = exit_bytes_per_pid[f.pid] > *options.max_exit_bytes;
        f.gating = listed;
        f.gate_rule = !listed ? ""
                      : f.type == kExitLeak && options.max_exit_bytes
                          ? "--max-exit-bytes " + std::to_string(*options.max_exit_bytes)
                      : f.type == kGrowth && f.resource == "memory" && options.max_bytes_per_cycle
                          ? "--max-bytes-per-cycle " + std::to_string(*options.max_bytes_per_cycle)
                      : f.type == kGrowth && f.resource == "handle" && options.max_handles_per_cycle
                          ? "--max-handles-per-cycle " + std::to_string(*options.max_handles_per_cycle)
                          : "--fail-on " + f.type;
        report.leak = report.leak || listed;
    }
    return absl::OkStatus();
}

}  // namespace leakscope::analyzer
