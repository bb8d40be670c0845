// `leakscope report` and `leakscope check`: load, analyse, gate, write every requested format.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "commands/Commands.h"
#include "core/AllocationWrappers.h"
#include "core/FindingGroups.h"
#include "core/ReportBuilder.h"
#include "core/Suppressions.h"
#include "formats/ReportFormatter.h"

namespace leakscope::analyzer {
namespace {

int writeOutputs(const Report& report, std::vector<OutputRequest> outputs, const std::string& source_url) {
    if (outputs.empty()) outputs.push_back({"text", ""});
    for (const auto& request : outputs) {
        auto formatter = makeFormatter(request.format);
        if (!formatter) {
            std::cerr << "leakscope: --format " << request.format << ": unknown format\n";
            return kExitInputError;
        }
        if (request.path.empty()) {
            formatter->write(report, std::cout, {.color = request.format == "text" && isatty(STDOUT_FILENO), .source_url = source_url});
            std::cout.flush();
            continue;
        }
        std::ofstream file(request.path, std::ios::trunc);
        if (!file) {
            std::cerr << "leakscope: --output " << request.path << ": cannot create the file\n";
            return kExitInputError;
        }
        formatter->write(report, file, {.source_url = source_url});
        if (!file.flush()) {
            std::cerr << "leakscope: --output " << request.path << ": write failed\n";
            return kExitInputError;
        }
    }
    return kExitClean;
}

// Built-in suppressions, and the explanations of --show-suppressed and the catch-all warning; the
// gate then applies the suppressions file itself.
int suppressAndExplain(Report& report, const ReportOptions& options, const GateOptions* gate) {
    std::vector<std::string> explained;
    std::vector<std::string>* explain = options.show_suppressed ? &explained : nullptr;
    if (!options.no_default_suppressions) {
        int hidden = applyDefaultSuppressions(report.findings, explain);
        report.suppressed += hidden;
        if (hidden) report.notes.push_back(std::to_string(hidden) + " runtime-internal finding(s) hidden by the default suppressions (--no-default-suppressions shows them)");
    }
    if (gate && !gate->suppressions.empty()) {
        auto rules = readSuppressions(gate->suppressions);
        if (!rules.ok()) {
            std::cerr << "leakscope: " << rules.status().message() << "\n";
            return kExitInputError;
        }
        std::vector<std::string> warnings;
        explainSuppressions(*rules, report.findings, explain, warnings);
        for (const auto& warning : warnings) {
            std::cerr << "leakscope: warning: " << warning << "\n";
            report.notes.push_back("warning: " + warning);
        }
    }
    for (const auto& line : explained) report.notes.push_back("suppressed by " + line);
    return kExitClean;
}

}  // namespace

int analyzeAndReport(const ReportOptions& options, const GateOptions* gate) {
    auto set = loadSnapshotSet(options.inputs);
    if (!set.ok()) {
        std::cerr << "leakscope: " << set.status().message() << "\n";
        return kExitInputError;
    }
    Symbolizer symbolizer;
    Report report = buildReport(*set, {options.labels, options.warmup}, symbolizer);
    if (int status = suppressAndExplain(report, options, gate); status != kExitClean) return status;
    GateOptions default_gate;
    if (auto status = applyGate(report, gate ? *gate : default_gate); !status.ok()) {
        std::cerr << "leakscope: " << status.message() << "\n";
        return kExitInputError;
    }
    groupFindingsByCause(report, headlineRules(*set, symbolizer, options.alloc_fns));
    if (int written = writeOutputs(report, options.outputs, options.source_url); written != kExitClean) return written;
    return gate && report.leak ? kExitLeakFound : kExitClean;
}

int runReport(const ReportOptions& options) { return analyzeAndReport(options, nullptr); }

int runCheck(const ReportOptions& options, const GateOptions& gate) { return analyzeAndReport(options, &gate); }

}  // namespace leakscope::analyzer
