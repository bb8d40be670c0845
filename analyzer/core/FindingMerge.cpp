#include "core/FindingMerge.h"

#include "core/Reachability.h"

#include "absl/container/flat_hash_map.h"

#include <tuple>
#include <utility>


namespace leakscope::analyzer {
namespace {

using MergeKey = std::tuple<uint64_t, uint64_t, std::string, std::string, std::string, std::string, std::string>;

void addSeries(std::vector<uint64_t>& into, const std::vector<uint64_t>& from) {
    if (into.size() < from.size()) into.resize(from.size(), 0);
    for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

}  // namespace

bool absorbSite(Finding& merged, Finding&& site, int warmup) {
    const bool site_is_larger = findingWeight(site) > findingWeight(merged);
    merged.sites += site.sites;
    merged.count += site.count;
    merged.bytes += site.bytes;
    addReachability(merged.reachability, site.reachability);
    if (merged.type == kGrowth) {
        addSeries(merged.series_count, site.series_count);
        addSeries(merged.series_bytes, site.series_bytes);
        applyVerdict(merged, analyzeGrowth(merged.series_count, merged.series_bytes, warmup));
        // The sites' blocks come from the same classified snapshot: their classes split the new rate.
        if (merged.resource == "memory") splitPerCycle(merged.reachability, merged.bytes_per_cycle);
    }
    if (site_is_larger) {
        merged.stack = std::move(site.stack);
        merged.value = site.value;
        merged.size = site.size;
        merged.sequence = site.sequence;
    }
    return site_is_larger;
}

void applyVerdict(Finding& finding, const GrowthVerdict& verdict) {
    finding.bytes_per_cycle = verdict.bytes_per_cycle;
    finding.count_per_cycle = verdict.count_per_cycle;
    finding.cycles_grown = verdict.cycles_grown;
    finding.cycles_observed = verdict.cycles_observed;
    finding.onset_cycle = verdict.onset_cycle;
    finding.warmup = verdict.warmup;
    finding.capacity_doubling = verdict.capacity_doubling;
    finding.p_value = verdict.p_value;
    finding.new_highs = verdict.new_highs;
}

double findingWeight(const Finding& finding) {
    if (finding.type == kGrowth) return finding.bytes_per_cycle * 1e6 + finding.count_per_cycle;
    if (finding.type == kExitLeak) return double(finding.bytes);
    return double(finding.count);
}

void mergeFindingsWithSameStackKey(std::vector<Finding>& findings, int warmup) {
    std::vector<Finding> merged;
    merged.reserve(findings.size());
    // Only looked up, never iterated: a hash map, as stack keys of deep stacks share long prefixes that an
    // ordered map would compare again and again.
    absl::flat_hash_map<MergeKey, size_t> index;
    index.reserve(findings.size());
    for (auto& finding : findings) {
        if (finding.type == kLeakedHandle || finding.stack.empty()) {
            merged.push_back(std::move(finding));
            continue;
        }
        MergeKey key{finding.pid, finding.start_ns, finding.type, finding.label, finding.stack_key, finding.handle_kind, finding.handle_details};
        auto [it, inserted] = index.emplace(std::move(key), merged.size());
        if (inserted) {
            merged.push_back(std::move(finding));
        } else {
            absorbSite(merged[it->second], std::move(finding), warmup);
        }
    }
    findings = std::move(merged);
}

void mergeEventsAcrossProcesses(std::vector<Finding>& findings) {
    std::vector<Finding> merged;
    merged.reserve(findings.size());
    absl::flat_hash_map<std::pair<std::string, std::string>, size_t> index;
    for (auto& finding : findings) {
        const bool event = finding.type != kGrowth && finding.type != kLeakedHandle && finding.type != kExitLeak;
        if (!event || finding.stack.empty()) {
            merged.push_back(std::move(finding));
            continue;
        }
        auto [it, inserted] = index.emplace(std::make_pair(finding.type, finding.stack_key), merged.size());
        if (inserted) {
            merged.push_back(std::move(finding));
            continue;
        }
        Finding& into = merged[it->second];
        into.count += finding.count;
        into.also_in.emplace_back(finding.pid, finding.start_ns);
        into.also_in.insert(into.also_in.end(), finding.also_in.begin(), finding.also_in.end());
    }
    findings = std::move(merged);
}

}  // namespace leakscope::analyzer
