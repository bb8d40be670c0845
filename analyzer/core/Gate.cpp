#include "core/Gate.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "core/Baseline.h"
#include "core/Reachability.h"
#include "core/Suppressions.h"

namespace leakscope::analyzer {
namespace {

absl::StatusOr<std::set<std::string>> parseFailOn(const std::string& list) {
    std::set<std::string> kinds;
    for (auto piece : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
        std::string kind(piece);
        const auto& categories = gateCategories();
        if (std::none_of(categories.begin(), categories.end(), [&](const GateCategory& c) { return kind == c.name; })) {
            std::string known;
            for (const auto& category : categories) known += (known.empty() ? "" : ", ") + std::string(category.name);
            return absl::InvalidArgumentError("--fail-on: unknown finding type \"" + kind + "\" (known: " + known + ")");
        }
        kinds.insert(kind);
    }
    return kinds;
}

// The --fail-on category that makes `f` fail, "" when none listed does: its own type first, then `lost`.
std::string listedCategory(const std::set<std::string>& fail_on, const Finding& f) {
    if (fail_on.count(f.type)) return f.type;
    if (fail_on.count(kLost) && mostlyLost(f)) return kLost;
    return "";
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

const std::vector<GateCategory>& gateCategories() {
    // What grows gates; what is merely open or live at exit informs (BRIEF, "Decisions after the first
    // release"). `lost` is part of `growth`: on its own it fails lost memory and lets reachable growth inform.
    static const std::vector<GateCategory> kCategories = [] {
        std::vector<GateCategory> categories;
        for (const auto& type : findingTypeTable()) {
            categories.push_back({type.name, type.fails_by_default, type.blurb});
            if (type.name == std::string(kGrowth))
                categories.push_back({kLost, false, "Memory growth whose bytes per cycle are mostly definitely or indirectly lost."});
        }
        return categories;
    }();
    return kCategories;
}

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
        const std::string category = listedCategory(*fail_on, f);
        bool listed = !category.empty();
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
                          : "--fail-on " + category;
        report.leak = report.leak || listed;
    }
    return absl::OkStatus();
}

}  // namespace leakscope::analyzer
