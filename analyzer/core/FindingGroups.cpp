#include "core/FindingGroups.h"

#include <algorithm>
#include <sstream>
#include <tuple>

#include "core/FindingMerge.h"
#include "core/Reachability.h"

namespace leakscope::analyzer {
namespace {

// Which findings may share a group: growth with growth (memory and handles together), leaked handles
// with leaked handles, exit leaks with exit leaks. "" for the rest.
std::string groupClass(const Finding& finding) {
    if (finding.type == kGrowth || finding.type == kLeakedHandle || finding.type == kExitLeak) return finding.type;
    return "";
}

// The program's call and every frame outwards from it: equal for stacks that pass through the same
// call along the same path.
std::string callPathKey(const Finding& finding) {
    std::ostringstream key;
    key << finding.pid << '\n' << groupClass(finding) << '\n' << finding.label << '\n';
    for (size_t i = finding.headline_frame; i < finding.stack.size(); ++i) {
        const auto& frame = finding.stack[i];
        key << frame.module << '|' << frame.function << '|' << frame.file << '|' << frame.line << '|' << frame.address << '\n';
    }
    return key.str();
}

void addSeries(std::vector<uint64_t>& into, const std::vector<uint64_t>& from) {
    if (into.size() < from.size()) into.resize(from.size(), 0);
    for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

std::string humanBytes(double bytes) {
    std::ostringstream out;
    out.precision(bytes >= 10 * 1024 ? 0 : 1);
    out << std::fixed;
    if (bytes >= 1024 * 1024) out << bytes / (1024 * 1024) << " MB";
    else if (bytes >= 1024) out << bytes / 1024 << " KB";
    else out << uint64_t(bytes) << " B";
    return out.str();
}

std::string countText(double count) {
    std::ostringstream out;
    out << count;
    return out.str();
}

// The parts of `members` (largest first) folded into one finding shaped like its largest part.
Finding makeGroup(std::vector<Finding> members) {
    std::stable_sort(members.begin(), members.end(), [](const Finding& a, const Finding& b) {
        // Memory before handles, then by weight: the headline part is the one that costs the most.
        if ((a.resource == "memory") != (b.resource == "memory")) return a.resource == "memory";
        return findingWeight(a) > findingWeight(b);
    });
    Finding group = members.front();
    group.components.clear();
    group.sites = 0;
    group.bytes_per_cycle = 0;
    group.count_per_cycle = 0;
    group.count = 0;
    group.bytes = 0;
    group.series_bytes.clear();
    group.series_count.clear();
    group.gating = false;
    group.reachability = {};
    const bool has_memory = group.resource == "memory";
    for (const auto& member : members) {
        group.sites += member.sites;
        group.gating = group.gating || member.gating;
        group.bytes += member.bytes;
        group.count += member.type == kLeakedHandle ? 1 : member.count;
        if (has_memory == (member.resource == "memory")) {
            // The group's own numbers are its main resource's: blocks and bytes, or handles.
            group.bytes_per_cycle += member.bytes_per_cycle;
            group.count_per_cycle += member.count_per_cycle;
            addSeries(group.series_bytes, member.series_bytes);
            addSeries(group.series_count, member.series_count);
            addReachability(group.reachability, member.reachability);
        }
    }
    group.components = std::move(members);
    return group;
}

}  // namespace

std::string componentsSummary(const Finding& group) {
    double memory_bytes = 0, memory_blocks = 0;
    std::map<std::string, double> handles;  // kind -> count
    for (const auto& part : group.components) {
        if (part.resource == "memory") {
            memory_bytes += part.type == kGrowth ? part.bytes_per_cycle : double(part.bytes);
            memory_blocks += part.type == kGrowth ? part.count_per_cycle : double(part.count);
        } else {
            handles[part.handle_kind.empty() ? "handle" : part.handle_kind] += part.type == kGrowth ? part.count_per_cycle : 1;
        }
    }
    std::string text;
    if (memory_blocks > 0) text = humanBytes(memory_bytes) + " in " + countText(memory_blocks) + (memory_blocks == 1 ? " block" : " blocks");
    for (const auto& [kind, count] : handles) text += (text.empty() ? "" : " + ") + countText(count) + " " + kind;
    return text;
}

void groupFindingsByCause(Report& report, const std::map<uint64_t, HeadlineRules>& rules) {
    static const HeadlineRules kBuiltIn;
    for (auto& finding : report.findings) {
        auto it = rules.find(finding.pid);
        const HeadlineRules& process_rules = it == rules.end() ? kBuiltIn : it->second;
        finding.headline_frame = headlineFrame(finding.stack, process_rules);
        finding.headline = headlineText(finding.stack, finding.headline_frame);
    }
    // Groups in the order of their first (largest) member: the report's order stays the same.
    std::vector<std::vector<Finding>> groups;
    std::map<std::string, size_t> index;
    for (auto& finding : report.findings) {
        if (groupClass(finding).empty() || finding.stack.empty()) {
            groups.push_back({std::move(finding)});
            continue;
        }
        auto [it, inserted] = index.emplace(callPathKey(finding), groups.size());
        if (inserted) groups.emplace_back();
        groups[it->second].push_back(std::move(finding));
    }
    report.findings.clear();
    for (auto& members : groups) {
        if (members.size() == 1) {
            report.findings.push_back(std::move(members.front()));
            continue;
        }
        std::string shared = members.front().headline;  // the same call for every part
        for (auto& part : members) {
            // A part's own line names its site (the group's headline names the shared call).
            auto it = rules.find(part.pid);
            size_t site = callerOfWrappers(part.stack, it == rules.end() ? kBuiltIn : it->second);
            part.headline = site < part.stack.size() ? shortFunctionName(part.stack[site].function) : part.headline;
        }
        report.findings.push_back(makeGroup(std::move(members)));
        report.findings.back().headline = shared;
    }
}

}  // namespace leakscope::analyzer
