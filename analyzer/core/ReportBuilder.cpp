#include "core/ReportBuilder.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/FindingMerge.h"
#include "core/FrameTrimmer.h"
#include "core/GrowthAnalysis.h"
#include "core/SnapshotJson.h"
#include "core/StackKey.h"

namespace leakscope::analyzer {
namespace {

// A handle's growth identity inside one process: the stack that opened it plus its kind and details.
using HandleGroup = std::tuple<StackId, std::string, std::string>;

class ProcessAnalysis {
public:
    ProcessAnalysis(const ProcessSnapshots& process, const AnalysisOptions& options, Symbolizer& symbolizer,
                    std::vector<Finding>& findings)
        : process_(process), options_(options), symbolizer_(symbolizer), findings_(findings) {}

    void run() {
        std::map<std::string, std::vector<const SnapshotSummary*>> series;
        for (const auto& snapshot : process_.snapshots) {
            if (!wantsLabel(snapshot.label)) continue;
            series[snapshot.label].push_back(&snapshot);
        }
        for (const auto& [label, snapshots] : series)
            if (snapshots.size() >= 3) {
                analyzeMemoryGrowth(label, snapshots);
                analyzeHandleGrowth(label, snapshots);
            }
        if (const SnapshotSummary* exit = process_.exitSnapshot()) {
            reportLeakedHandles(*exit);
            reportExitLeaks(*exit);
        }
        reportEvents(process_.lastSnapshot());
    }

private:
    bool wantsLabel(const std::string& label) const {
        if (options_.labels.empty()) return label != "exit";
        return std::find(options_.labels.begin(), options_.labels.end(), label) != options_.labels.end();
    }

    Finding makeFinding(const std::string& type, const std::string& resource, StackId stack, const std::string& kind = "") {
        Finding finding;
        finding.type = type;
        finding.resource = resource;
        finding.pid = process_.pid;
        finding.handle_kind = kind;
        if (stack != 0) finding.stack = trimAllocatorFrames(symbolizer_.symbolizeStack(process_.modules, process_.stacks[stack]));
        finding.stack_key = stackKey(type, resource, kind, finding.stack);
        return finding;
    }

    void addGrowth(Finding finding, const GrowthVerdict& verdict, std::vector<uint64_t> count, std::vector<uint64_t> bytes,
                   const std::string& label) {
        finding.label = label;
        finding.bytes_per_cycle = verdict.bytes_per_cycle;
        finding.count_per_cycle = verdict.count_per_cycle;
        finding.cycles_grown = verdict.cycles_grown;
        finding.cycles_observed = verdict.cycles_observed;
        finding.warmup = verdict.warmup;
        finding.onset_cycle = verdict.onset_cycle;
        finding.series_count = std::move(count);
        finding.series_bytes = std::move(bytes);
        findings_.push_back(std::move(finding));
    }

    void analyzeMemoryGrowth(const std::string& label, const std::vector<const SnapshotSummary*>& snapshots) {
        // Only stacks live in the last snapshot can be growing (growth ends above every earlier level).
        for (const auto& [stack, final_usage] : snapshots.back()->memory) {
            std::vector<uint64_t> count, bytes;
            for (const auto* snapshot : snapshots) {
                auto it = snapshot->memory.find(stack);
                count.push_back(it == snapshot->memory.end() ? 0 : it->second.count);
                bytes.push_back(it == snapshot->memory.end() ? 0 : it->second.bytes);
            }
            GrowthVerdict verdict = analyzeGrowth(count, bytes, options_.warmup);
            if (verdict.growing) addGrowth(makeFinding(kGrowth, "memory", stack), verdict, std::move(count), std::move(bytes), label);
        }
    }

    void analyzeHandleGrowth(const std::string& label, const std::vector<const SnapshotSummary*>& snapshots) {
        std::map<HandleGroup, std::vector<uint64_t>> counts;
        for (size_t i = 0; i < snapshots.size(); ++i)
            for (const auto& handle : snapshots[i]->handles) {
                if (handle.record.flags & (snapshot::kHandleInherited | snapshot::kHandleUntracked)) continue;
                HandleGroup group{StackId(handle.record.stack_id), snapshot::handleKindName(handle.record.kind),
                                  handleDetails(handle.record, handle.path)};
                auto& series = counts[group];
                series.resize(snapshots.size());
                series[i] += 1;
            }
        for (auto& [group, count] : counts) {
            std::vector<uint64_t> bytes(count.size(), 0);
            GrowthVerdict verdict = analyzeGrowth(count, bytes, options_.warmup);
            if (!verdict.growing) continue;
            Finding finding = makeFinding(kGrowth, "handle", std::get<0>(group), std::get<1>(group));
            finding.handle_details = std::get<2>(group);
            addGrowth(std::move(finding), verdict, std::move(count), std::move(bytes), label);
        }
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
            findings_.push_back(std::move(finding));
        }
    }

    void reportExitLeaks(const SnapshotSummary& exit) {
        for (const auto& [stack, usage] : exit.memory) {
            Finding finding = makeFinding(kExitLeak, "memory", stack);
            finding.label = exit.label;
            finding.count = usage.count;
            finding.bytes = usage.bytes;
            findings_.push_back(std::move(finding));
        }
    }

    void reportEvents(const SnapshotSummary& last) {
        std::map<std::pair<std::string, StackId>, Finding> grouped;
        for (const auto& event : last.events) {
            std::string kind = snapshot::eventKindName(event.record.kind);
            StackId stack = StackId(event.record.stack_id);
            auto it = grouped.find({kind, stack});
            if (it == grouped.end()) {
                Finding finding = makeFinding(kind, kind.find("close") != std::string::npos ? "handle" : "memory", stack);
                finding.value = int64_t(event.record.value);
                finding.size = event.record.size;
                finding.sequence = event.record.sequence;
                it = grouped.emplace(std::make_pair(kind, stack), std::move(finding)).first;
            }
            it->second.count += 1;
        }
        for (auto& [key, finding] : grouped) findings_.push_back(std::move(finding));
    }

    const ProcessSnapshots& process_;
    const AnalysisOptions& options_;
    Symbolizer& symbolizer_;
    std::vector<Finding>& findings_;
};

int typeRank(const std::string& type) {
    static const char* const kOrder[] = {"growth", "leaked_handle", "double_close", "bad_close", "bad_free",
                                         "failed_allocation", "injected_failure", "exit_leak"};
    for (int i = 0; i < int(std::size(kOrder)); ++i)
        if (type == kOrder[i]) return i;
    return int(std::size(kOrder));
}

}  // namespace

Report buildReport(const SnapshotSet& set, const AnalysisOptions& options, Symbolizer& symbolizer) {
    Report report;
    for (const auto& process : set.processes) {
        ProcessInfo info{.pid = process.pid, .executable = process.executable, .snapshots = int(process.snapshots.size()), .labels = {}};
        for (const auto& snapshot : process.snapshots) info.labels[snapshot.label] += 1;
        report.processes.push_back(std::move(info));
        ProcessAnalysis(process, options, symbolizer, report.findings).run();
    }
    mergeFindingsWithSameStackKey(report.findings, options.warmup);
    std::stable_sort(report.findings.begin(), report.findings.end(), [](const Finding& a, const Finding& b) {
        int ra = typeRank(a.type), rb = typeRank(b.type);
        if (ra != rb) return ra < rb;
        return findingWeight(a) > findingWeight(b);  // largest first within a type
    });
    for (const auto& module : symbolizer.mismatchedModules())
        report.notes.push_back(module + ": build-id on disk differs from the run's; its frames are shown as module+offset");
    return report;
}

}  // namespace leakscope::analyzer
