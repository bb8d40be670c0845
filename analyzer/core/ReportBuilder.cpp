#include "core/ReportBuilder.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/EventCompleteness.h"
#include "core/FindingMerge.h"
#include "core/FindingTypes.h"
#include "core/FrameTrimmer.h"
#include "core/GrowthAnalysis.h"
#include "core/Plural.h"
#include "core/ProcessRecords.h"
#include "core/ReachabilityEvidence.h"
#include "core/SnapshotJson.h"
#include "core/StackKey.h"

#include "absl/container/flat_hash_map.h"

namespace leakscope::analyzer {
namespace {

// A handle's growth identity inside one process: the stack that opened it plus its kind and details.
using HandleGroup = std::tuple<StackId, std::string, std::string>;

// A hash map's order changes from run to run (absl seeds it per process): findings are produced in
// stack order instead, so ties in weight keep the same order and the same shown site every time.
std::vector<StackId> sortedStacks(const absl::flat_hash_map<StackId, LiveUsage>& memory) {
    std::vector<StackId> stacks;
    stacks.reserve(memory.size());
    for (const auto& [stack, usage] : memory) stacks.push_back(stack);
    std::sort(stacks.begin(), stacks.end());
    return stacks;
}

std::string labelList(const std::map<std::string, int>& labels) {
    std::string text;
    for (const auto& [label, count] : labels) text += (text.empty() ? "" : ", ") + label + " x" + std::to_string(count);
    return text.empty() ? "none" : text;
}

class ProcessAnalysis {
public:
    ProcessAnalysis(const ProcessSnapshots& process, const AnalysisOptions& options, Symbolizer& symbolizer, Report& report)
        : process_(process), options_(options), symbolizer_(symbolizer), report_(report) {}

    void run() {
        std::map<std::string, std::vector<const SnapshotSummary*>> series;
        std::map<std::string, int> labels;
        for (const auto& snapshot : process_.snapshots) {
            labels[snapshot.label] += 1;
            if (wantsLabel(snapshot.label)) series[snapshot.label].push_back(&snapshot);
        }
        if (series.empty())
            notJudged("", "no lifecycle snapshots (labels: " + labelList(labels) + "); growth needs a series of at least " +
                              std::to_string(kMinimumSnapshots) + " snapshots of one label");
        for (const auto& [label, snapshots] : series) {
            if (snapshots.size() < size_t(kMinimumSnapshots)) {
                notJudged(label, std::to_string(snapshots.size()) + " '" + label + "' snapshot(s); growth needs at least " +
                                     std::to_string(kMinimumSnapshots));
                continue;
            }
            ++judged_series_;
            analyzeMemoryGrowth(label, snapshots);
            analyzeHandleGrowth(label, snapshots);
        }
        if (sawNoAllocation()) {
            hooks_saw_nothing_ = true;
            notJudged("", "no allocation or handle seen: nothing to judge (the preload was loaded and wrote " +
                              std::to_string(process_.snapshots.size()) + " snapshot(s); its hooks saw no malloc, new or "
                              "open in this process, as in a program that allocates nothing or one whose allocator "
                              "bypasses malloc)");
        }
        if (const SnapshotSummary* exit = process_.exitSnapshot()) {
            reportLeakedHandles(*exit);
            reportExitLeaks(*exit);
        }
        reportEvents(process_.lastSnapshot());
        // Events counted but not stored: the lists above are incomplete, and the report says so.
        const std::string incomplete = incompleteEventLists(process_.lastSnapshot());
        if (!incomplete.empty()) report_.not_judged.push_back(
            {.pid = process_.pid, .start_ns = process_.start_ns, .label = "", .reason = incomplete, .what = "events", .command = ""});
        report_.events_not_stored += process_.lastSnapshot().counters.events_dropped;
        // Snapshot requests merged into a pending one (a handler asking faster than snapshots are written):
        // the snapshots the process asked for that are not files of their own, said rather than missing.
        if (const uint64_t merged = process_.lastSnapshot().counters.snapshot_requests_merged)
            report_.notes.push_back("pid " + std::to_string(process_.pid) + ": " + counted(merged, "snapshot request") +
                                    " arrived while another was pending and " + (merged == 1 ? "was" : "were") +
                                    " merged into it (first label kept): the process asked for " + std::to_string(merged) +
                                    " more snapshot" + (merged == 1 ? "" : "s") + " than it wrote (docs/architecture.md, \"Host-safety contract: signals and concurrency\")");
    }

    int judgedSeries() const { return judged_series_; }

    // No allocation counted, none live in any snapshot and no handle opened: no evidence either way. The
    // snapshots show the preload was loaded and its hooks in place, so this is said as what was seen, not
    // as "not tracked" (an exec'd image that allocates nothing, shared case 21, is tracked); processes
    // that really were not tracked leave a process record and no snapshot (ProcessRecords.h).
    // (A program may well allocate nothing and only hold an fd, n_handle_once.c: that is evidence.)
    bool sawNoAllocation() const {
        const auto& counters = process_.lastSnapshot().counters;
        if (counters.allocations != 0 || counters.handles_opened != 0) return false;
        return std::all_of(process_.snapshots.begin(), process_.snapshots.end(), [](const auto& s) { return s.memory.empty(); });
    }
    bool hooksSawNothing() const { return hooks_saw_nothing_; }

private:
    // The series of one call path: the sites (stacks) that share its stack key, summed snapshot by snapshot.
    struct PathSeries {
        Finding finding;  // type, resource, stack (of the site that grew most) and key
        std::vector<uint64_t> count, bytes;
        double site_growth = 0;  // of the site shown (growth below)
        std::vector<StackId> stacks;  // the sites summed (memory: whose blocks the reachability counts)
    };
    using PathKey = std::tuple<std::string, std::string, std::string>;  // stack key, handle kind, details

    bool wantsLabel(const std::string& label) const {
        if (options_.labels.empty()) return label != "exit";
        return std::find(options_.labels.begin(), options_.labels.end(), label) != options_.labels.end();
    }

    void notJudged(const std::string& label, std::string reason) {
        report_.not_judged.push_back(
            {.pid = process_.pid, .start_ns = process_.start_ns, .label = label, .reason = std::move(reason), .what = "growth", .command = ""});
    }

    // A finding of this process without its stack.
    Finding newFinding(const std::string& type, const std::string& resource, const std::string& kind = "") const {
        Finding finding;
        finding.type = type;
        finding.resource = resource;
        finding.pid = process_.pid;
        finding.start_ns = process_.start_ns;
        finding.handle_kind = kind;
        return finding;
    }

    Finding makeFinding(const std::string& type, const std::string& resource, StackId stack, const std::string& kind = "") {
        Finding finding = newFinding(type, resource, kind);
        if (stack != 0) finding.stack = shownStack(stack);
        finding.stack_key = stackKey(type, resource, kind, finding.stack);
        return finding;
    }

    SymbolizedStack shownStack(StackId stack) {
        return trimAllocatorFrames(symbolizer_.symbolizeStack(process_.modules, process_.stacks[stack]));
    }

    // Adds one site to its call path. Sites that do not change after warm-up are left out: a constant adds
    // nothing to a verdict, a rate or an onset, and leaving them out symbolizes only the stacks that move.
    void addSite(std::map<PathKey, PathSeries>& paths, StackId stack, Finding site, const std::string& details,
                 std::vector<uint64_t> count, std::vector<uint64_t> bytes) {
        const size_t first = growthWarmup(count.size(), options_.warmup);
        bool moves = false;
        for (size_t i = first + 1; i < count.size() && !moves; ++i) moves = count[i] != count[first] || bytes[i] != bytes[first];
        if (!moves) return;
        double growth = double(bytes.back()) - double(bytes[first]) + 1e-6 * (double(count.back()) - double(count[first]));
        auto [it, created] = paths.try_emplace({site.stack_key, site.handle_kind, details});
        PathSeries& path = it->second;
        if (created) {
            path.count.assign(count.size(), 0);
            path.bytes.assign(bytes.size(), 0);
        } else {
            path.finding.sites += 1;
        }
        for (size_t i = 0; i < count.size(); ++i) path.count[i] += count[i], path.bytes[i] += bytes[i];
        path.stacks.push_back(stack);
        // The first site is shown until one grew more: a site's growth may be negative (a ring whose bytes
        // ended lower than after warm-up while its count rose), and the path must still have a stack.
        if (created || growth > path.site_growth) {
            int sites = path.finding.sites;
            path.finding = std::move(site);
            path.finding.sites = sites;
            path.finding.handle_details = details;
            path.site_growth = growth;
        }
    }

    // "growth not judged" for bytes that rose while several blocks were only replaced (GrowthVerdict::blocks_replaced).
    static std::string blocksReplacedReason(const PathSeries& path, const GrowthVerdict& verdict, const std::string& where) {
        const auto onset = size_t(verdict.onset_cycle);
        const auto [fewest, most] = std::minmax_element(path.count.begin() + long(onset), path.count.end());
        const std::string blocks = *fewest == *most ? std::to_string(*most) : std::to_string(*fewest) + "-" + std::to_string(*most);
        return path.finding.resource + " of " + where + " rose from " + std::to_string(path.bytes[onset]) + " B to " +
               std::to_string(*std::max_element(path.bytes.begin() + long(onset), path.bytes.end())) + " B while its " + blocks +
               " blocks were only replaced by larger ones (their number did not rise): a ring or pool whose block sizes vary "
               "does this, so bytes alone are no evidence of a leak";
    }

    // "growth not judged" for a call path still rising when the series ended (GrowthVerdict::inconclusive).
    static std::string inconclusiveReason(const PathSeries& path, const GrowthVerdict& verdict) {
        const SymbolizedStack& stack = path.finding.stack;
        std::string where = stack.empty() ? std::string("a call path") : headlineText(stack, headlineFrame(stack, {}));
        if (verdict.blocks_replaced) return blocksReplacedReason(path, verdict, where);
        int rises = 0;
        for (size_t i = size_t(verdict.warmup) + 1; i < path.bytes.size(); ++i)
            rises += path.bytes[i] > path.bytes[i - 1] || path.count[i] > path.count[i - 1];
        return path.finding.resource + " of " + where + " rose on " + std::to_string(rises) + " of " +
               std::to_string(verdict.cycles_observed) +
               " cycles and was still rising at the end: too few snapshots to tell a leak from a cache filling "
               "up; run more cycles";
    }

    // The rule runs on each call path's summed series (docs/analysis.md, "One finding per call path").
    void judgePaths(std::map<PathKey, PathSeries>& paths, const std::string& label, const std::vector<const SnapshotSummary*>& snapshots) {
        for (auto& [key, path] : paths) {
            GrowthVerdict verdict = analyzeGrowth(path.count, path.bytes, options_.warmup);
            if (verdict.inconclusive) notJudged(label, inconclusiveReason(path, verdict));
            if (!verdict.growing) continue;
            Finding finding = std::move(path.finding);
            finding.label = label;
            applyVerdict(finding, verdict);
            if (finding.resource == "memory")
                finding.reachability = growthReachability(process_, snapshots, size_t(verdict.onset_cycle), path.stacks, verdict.bytes_per_cycle);
            finding.series_count = std::move(path.count);
            finding.series_bytes = std::move(path.bytes);
            report_.findings.push_back(std::move(finding));
        }
    }

    void analyzeMemoryGrowth(const std::string& label, const std::vector<const SnapshotSummary*>& snapshots) {
        std::map<StackId, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> stacks;
        for (size_t i = 0; i < snapshots.size(); ++i)
            for (const auto& [stack, usage] : snapshots[i]->memory) {
                auto& [count, bytes] = stacks[stack];
                count.resize(snapshots.size());
                bytes.resize(snapshots.size());
                count[i] = usage.count;
                bytes[i] = usage.bytes;
            }
        std::map<PathKey, PathSeries> paths;
        for (auto& [stack, series] : stacks)
            addSite(paths, stack, makeFinding(kGrowth, "memory", stack), "", std::move(series.first), std::move(series.second));
        judgePaths(paths, label, snapshots);
    }

    void analyzeHandleGrowth(const std::string& label, const std::vector<const SnapshotSummary*>& snapshots) {
        std::map<HandleGroup, std::vector<uint64_t>> counts;
        for (size_t i = 0; i < snapshots.size(); ++i)
            for (const auto& handle : snapshots[i]->handles) {
                if (handle.record.flags & (snapshot::kHandleInherited | snapshot::kHandleUntracked)) continue;
                // A path is not part of a handle's growth identity: mkstemp, tmpfile or a rotated log open
                // a new name every cycle from the same call, and each name alone never grows. Sockets keep
                // their family/type/protocol (a listen socket and a UDP pipe are different resources).
                const bool socket = handle.record.kind == uint16_t(snapshot::HandleKind::Socket);
                HandleGroup group{StackId(handle.record.stack_id), snapshot::handleKindName(handle.record.kind),
                                  socket ? handleDetails(handle.record, handle.path) : std::string()};
                auto& series = counts[group];
                series.resize(snapshots.size());
                series[i] += 1;
            }
        std::map<PathKey, PathSeries> paths;
        for (auto& [group, count] : counts) {
            std::vector<uint64_t> bytes(count.size(), 0);
            addSite(paths, std::get<0>(group), makeFinding(kGrowth, "handle", std::get<0>(group), std::get<1>(group)), std::get<2>(group),
                    std::move(count), std::move(bytes));
        }
        judgePaths(paths, label, snapshots);
    }

    void reportLeakedHandles(const SnapshotSummary& exit) {
        for (const auto& handle : exit.handles) {
            const auto& record = handle.record;
            if (record.fd <= 2 || (record.flags & snapshot::kHandleInherited)) continue;
            Finding finding = makeFinding(kLeakedHandle, "handle", StackId(record.stack_id), snapshot::handleKindName(record.kind));
            finding.fd = record.fd;
            finding.handle_details = handleDetails(record, handle.path);
            finding.untracked = (record.flags & snapshot::kHandleUntracked) != 0;
            finding.sequence = record.sequence;
            if (finding.untracked) finding.handle_details = handle.path;  // its /proc target
            report_.findings.push_back(std::move(finding));
        }
    }

    // Exit leaks are merged by stack key here, before their stacks are copied: cc1plus leaves 10,000
    // allocation stacks at exit that share 1,000 keys, and copying every symbolized stack only to drop
    // nine in ten at the merge was most of a report's time and memory. The keys come from frames
    // borrowed from the Symbolizer's cache; the merge is the sequence of absorbSite calls that
    // mergeFindingsWithSameStackKey would make on these findings, so the findings are the same, and the
    // stack of the site each one shows is copied once at the end.
    void reportExitLeaks(const SnapshotSummary& exit) {
        struct Merged {
            Finding finding;
            StackId shown;
        };
        std::vector<Merged> merged;
        absl::flat_hash_map<std::string, size_t> by_key;
        for (StackId stack : sortedStacks(exit.memory)) {
            const LiveUsage& usage = exit.memory.at(stack);
            Finding finding = newFinding(kExitLeak, "memory");
            bool mergeable = false;  // mergeFindingsWithSameStackKey leaves findings without a stack alone
            if (stack != 0) {
                const auto frames = symbolizer_.borrowStack(process_.modules, process_.stacks[stack]);
                finding.stack_key = stackKey(kExitLeak, "memory", "", frames, allocatorFramesToTrim(frames));
                mergeable = !frames.empty();
            } else {
                finding.stack_key = stackKey(kExitLeak, "memory", "", SymbolizedStack{});
            }
            finding.label = exit.label;
            finding.count = usage.count;
            finding.bytes = usage.bytes;
            finding.reachability = exitReachability(exit, stack);
            auto [it, inserted] = mergeable ? by_key.try_emplace(finding.stack_key, merged.size())
                                            : std::make_pair(by_key.end(), true);
            if (inserted) {
                merged.push_back({std::move(finding), stack});
            } else if (absorbSite(merged[it->second].finding, std::move(finding), options_.warmup)) {
                merged[it->second].shown = stack;
            }
        }
        report_.findings.reserve(report_.findings.size() + merged.size());
        for (auto& [finding, shown] : merged) {
            if (shown != 0) finding.stack = shownStack(shown);
            report_.findings.push_back(std::move(finding));
        }
    }

    void reportEvents(const SnapshotSummary& last) {
        std::map<std::pair<std::string, StackId>, Finding> grouped;
        for (const auto& event : last.events) {
            std::string kind = snapshot::eventKindName(event.record.kind);
            // Snapshots of 0.1.0 recorded close(-1) as a bad close: the same event as invalid_fd_close.
            if (kind == "bad_close" && int64_t(event.record.value) < 0) kind = "invalid_fd_close";
            StackId stack = StackId(event.record.stack_id);
            auto it = grouped.find({kind, stack});
            if (it == grouped.end()) {
                const FindingType* type = findFindingType(kind);
                Finding finding = makeFinding(kind, type && *type->resource ? type->resource : "memory", stack);
                finding.value = int64_t(event.record.value);
                // A close of fds never held keeps its count there (EventCompleteness.h, occurrencesOf).
                finding.size = event.record.kind == uint16_t(snapshot::EventKind::UnopenedFdClose) ? 0 : event.record.size;
                finding.sequence = event.record.sequence;
                it = grouped.emplace(std::make_pair(kind, stack), std::move(finding)).first;
            }
            it->second.count += occurrencesOf(event.record);
        }
        for (auto& [key, finding] : grouped) report_.findings.push_back(std::move(finding));
    }

    const ProcessSnapshots& process_;
    const AnalysisOptions& options_;
    Symbolizer& symbolizer_;
    Report& report_;
    int judged_series_ = 0;
    bool hooks_saw_nothing_ = false;
};

}  // namespace

std::string unmatchedLabelError(const SnapshotSet& set, const std::vector<std::string>& labels) {
    std::map<std::string, int> present;
    for (const auto& process : set.processes)
        for (const auto& snapshot : process.snapshots) present[snapshot.label] += 1;
    for (const auto& label : labels) {
        if (present.count(label)) continue;
        std::string names;
        for (const auto& [name, count] : present) names += (names.empty() ? "" : ", ") + name;
        return "--label " + label + ": no snapshot has this label (labels present: " + names + ")";
    }
    return "";
}

Report buildReport(const SnapshotSet& set, const AnalysisOptions& options, Symbolizer& symbolizer) {
    Report report;
    int judged_series = 0;
    for (const auto& process : set.processes) {
        ProcessInfo info{.pid = process.pid, .start_ns = process.start_ns, .executable = process.executable,
                         .snapshots = int(process.snapshots.size()), .labels = {}};
        for (const auto& snapshot : process.snapshots) info.labels[snapshot.label] += 1;
        report.processes.push_back(std::move(info));
        ProcessAnalysis analysis(process, options, symbolizer, report);
        analysis.run();
        // A process whose hooks saw nothing judged nothing, whatever its series; it has its not-judged
        // entry. It no longer takes the evidence of the others away: a judged parent that runs `true` is
        // "clean where judged" (docs/cli.md), not "not judged" as if no series had been judged at all.
        if (!analysis.hooksSawNothing()) judged_series += analysis.judgedSeries();
    }
    report.evidence = judged_series > 0;
    // Followed processes that left no final snapshot: said, never gating (docs/analysis.md, "Not judged").
    for (auto& item : unjudgedProcesses(set)) report.not_judged.push_back(std::move(item));
    mergeFindingsWithSameStackKey(report.findings, options.warmup);
    mergeEventsAcrossProcesses(report.findings);
    std::stable_sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
        int ra = findingTypeRank(a.type), rb = findingTypeRank(b.type);
        if (ra != rb) return ra < rb;
        return findingWeight(a) > findingWeight(b);  // largest first within a type
    });
    for (auto& note : symbolizer.changedModuleNotes()) report.notes.push_back(std::move(note));
    return report;
}

}  // namespace leakscope::analyzer
