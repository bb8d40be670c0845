#include "formats/JsonFormatter.h"

#include "core/FindingTypes.h"
#include "core/Reachability.h"
#include "core/SnapshotJson.h"
#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

class JsonFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext&) const override {
        out << reportToJson(report).dump(2) << "\n";
    }
};

// Whole numbers print as integers (4096, not 4096.0); medians of an even count may be x.5.
nlohmann::json number(double value) {
    if (value == double(int64_t(value))) return int64_t(value);
    return value;
}

// docs/report-schema.md, "Reachability": the classes of a memory finding's blocks; absent for the rest.
nlohmann::json reachabilityToJson(const Finding& f) {
    const FindingReachability& r = f.reachability;
    nlohmann::json out = {{"status", reachabilityStatusName(r.status)}, {"summary", reachabilityPhrase(f)}};
    if (r.status == FindingReachability::Status::Classified || r.status == FindingReachability::Status::Freed)
        out["snapshot"] = {{"label", r.snapshot_label}, {"index", r.snapshot_index}};
    if (!r.reason.empty()) out["reason"] = r.reason;
    if (r.status != FindingReachability::Status::Classified) return out;
    nlohmann::json bytes = nlohmann::json::object(), blocks = nlohmann::json::object(), per_cycle = nlohmann::json::object();
    for (size_t i = 0; i < kReachabilityClasses; ++i) {
        bytes[reachabilityKey(i)] = r.bytes[i];
        blocks[reachabilityKey(i)] = r.blocks[i];
        per_cycle[reachabilityKey(i)] = number(r.bytes_per_cycle[i]);
    }
    out["bytes"] = bytes;
    out["count"] = blocks;
    if (f.type == kGrowth) {
        out["bytes_per_cycle"] = per_cycle;
        out["mostly_lost"] = mostlyLost(f);
    }
    return out;
}

}  // namespace

std::unique_ptr<ReportFormatter> makeJsonFormatter() { return std::make_unique<JsonFormatter>(); }

nlohmann::json findingToJson(const Finding& f) {
    nlohmann::json stack = nlohmann::json::array();
    for (const auto& frame : f.stack) stack.push_back(frameToJson(frame));
    nlohmann::json out = {{"type", f.type}, {"resource", f.resource}, {"pid", f.pid}, {"start_ns", f.start_ns}, {"stack", stack}, {"stack_key", f.stack_key},
                           {"sites", f.sites}};
    if (f.type == kGrowth) {
        out["label"] = f.label;
        out["bytes_per_cycle"] = number(f.bytes_per_cycle);
        out["count_per_cycle"] = number(f.count_per_cycle);
        out["cycles_grown"] = f.cycles_grown;
        out["cycles_observed"] = f.cycles_observed;
        out["warmup"] = f.warmup;
        out["onset_snapshot"] = f.onset_cycle;
        out["new_highs"] = f.new_highs;
        out["p_value"] = f.p_value;
        out["capacity_doubling"] = f.capacity_doubling;
        out["series"] = {{"count", f.series_count}, {"bytes", f.series_bytes}};
        if (f.resource == "handle") {
            out["handle_kind"] = f.handle_kind;
            out["handle_details"] = f.handle_details;
        }
    } else if (f.type == kLeakedHandle) {
        out["fd"] = f.fd;
        out["handle_kind"] = f.handle_kind;
        out["handle_details"] = f.handle_details;
        out["sequence"] = f.sequence;
        out["untracked"] = f.untracked;
    } else if (f.type == kExitLeak) {
        out["bytes"] = f.bytes;
        out["count"] = f.count;
    } else {
        out["value"] = f.value;
        out["size"] = f.size;
        out["count"] = f.count;
        out["processes"] = processCount(f);
    }
    if (f.reachability.status != FindingReachability::Status::None) out["reachability"] = reachabilityToJson(f);
    out["gating"] = f.gating;
    // Issue 18 (FindingGroups.h): the program's own call, and a grouped finding's parts.
    if (!f.headline.empty()) out["headline"] = f.headline, out["headline_frame"] = f.headline_frame;
    if (!f.components.empty()) {
        out["components"] = nlohmann::json::array();
        for (const auto& part : f.components) out["components"].push_back(findingToJson(part));
    }
    return out;
}

nlohmann::json reportToJson(const Report& report) {
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& p : report.processes)
        processes.push_back({{"pid", p.pid}, {"start_ns", p.start_ns}, {"executable", p.executable}, {"snapshots", p.snapshots}, {"labels", p.labels}});
    nlohmann::json findings = nlohmann::json::array();
    nlohmann::json summary = nlohmann::json::object();
    for (const auto& type : findingTypeTable()) summary[type.summary_key] = 0;
    summary["exit_leak_bytes"] = 0;
    summary["suppressed"] = report.suppressed;
    summary["baselined"] = report.baselined;
    summary["events_not_stored"] = report.events_not_stored;
    for (const auto& f : report.findings) {
        findings.push_back(findingToJson(f));
        const FindingType* type = findFindingType(f.type);
        std::string counter = type ? type->summary_key : f.type + "s";
        summary[counter] = summary.value(counter, 0) + 1;
        if (f.type == kExitLeak) summary["exit_leak_bytes"] = summary["exit_leak_bytes"].get<uint64_t>() + f.bytes;
    }
    nlohmann::json not_judged = nlohmann::json::array();
    for (const auto& n : report.not_judged)
        not_judged.push_back({{"what", n.what}, {"pid", n.pid}, {"start_ns", n.start_ns}, {"command", n.command},
                              {"label", n.label}, {"reason", n.reason}});
    return {{"schema_version", kReportSchemaVersion},
            {"tool", {{"name", "leakscope"}, {"version", kToolVersion}}},
            {"verdict", verdictName(report)},
            {"processes", processes},
            {"not_judged", not_judged},
            {"findings", findings},
            {"summary", summary},
            {"notes", report.notes}};
}

}  // namespace leakscope::analyzer
