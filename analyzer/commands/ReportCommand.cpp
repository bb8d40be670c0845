// `leakscope report` and `leakscope check`: load, analyse, gate, write every requested format.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "commands/Commands.h"
#include "core/ReportBuilder.h"
#include "formats/ReportFormatter.h"

namespace leakscope::analyzer {
namespace {

int writeOutputs(const Report& report, std::vector<OutputRequest> outputs) {
    if (outputs.empty()) outputs.push_back({"text", ""});
    for (const auto& request : outputs) {
        auto formatter = makeFormatter(request.format);
        if (!formatter) {
            std::cerr << "leakscope: --format " << request.format << ": unknown format\n";
            return kExitInputError;
        }
        if (request.path.empty()) {
            formatter->write(report, std::cout, {.color = request.format == "text" && isatty(STDOUT_FILENO)});
            std::cout.flush();
            continue;
        }
        std::ofstream file(request.path, std::ios::trunc);
        if (!file) {
            std::cerr << "leakscope: --output " << request.path << ": cannot create the file\n";
            return kExitInputError;
        }
        formatter->write(report, file, {});
        if (!file.flush()) {
            std::cerr << "leakscope: --output " << request.path << ": write failed\n";
            return kExitInputError;
        }
    }
    return kExitClean;
}

}  // namespace

int analyzeAndReport(const ReportOptions& options, const GateOptions* gate) {
    auto set = loadSnapshotSet(options.inputs);
    if (!set.ok()) {
        std::cerr << "leakscope: " << set.status().message() << "\n";
        return kExitInputError;
    }
    for (const auto& skipped : set->unreadable)
        std::cerr << "leakscope: " << skipped << (options.strict ? "" : " (skipped)") << "\n";
    if (options.strict && !set->unreadable.empty()) return kExitInputError;
    Symbolizer symbolizer;
    Report report = buildReport(*set, {options.labels, options.warmup}, symbolizer);
    GateOptions default_gate;
    if (auto status = applyGate(report, gate ? *gate : default_gate); !status.ok()) {
        std::cerr << "leakscope: " << status.message() << "\n";
        return kExitInputError;
    }
    if (int written = writeOutputs(report, options.outputs); written != kExitClean) return written;
    return gate && report.leak ? kExitLeakFound : kExitClean;
}

int runReport(const ReportOptions& options) { return analyzeAndReport(options, nullptr); }

int runCheck(const ReportOptions& options, const GateOptions& gate) { return analyzeAndReport(options, &gate); }

}  // namespace leakscope::analyzer
