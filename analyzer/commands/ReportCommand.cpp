// `leakscope report` and `leakscope check`: load, analyse, gate, write every requested format.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <iostream>

#include "commands/Commands.h"
#include "commands/Diagnostics.h"
#include "commands/OutputCheck.h"
#include "core/AllocationWrappers.h"
#include "core/FindingGroups.h"
#include "core/ReportBuilder.h"
#include "core/SymbolCache.h"
#include "core/Suppressions.h"
#include "formats/ReportFormatter.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

// The default --source-root: the top of the git work tree holding the cwd (a `.git` directory, or the
// `.git` file of a worktree or submodule), else the cwd itself.
std::string defaultSourceRoot() {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
        if (fs::exists(dir / ".git", ec)) return dir.string();
        if (dir == dir.root_path()) break;
    }
    return cwd.string();
}

// Colour: --color always/never decide; auto means a TTY and no NO_COLOR (https://no-color.org: set
// to anything non-empty).
bool useColor(const std::string& choice, int fd) {
    if (choice == "always") return true;
    if (choice == "never") return false;
    const char* no_color = std::getenv("NO_COLOR");
    return !(no_color && *no_color) && isatty(fd);
}

int writeOutputs(const Report& report, const ReportOptions& options) {
    std::vector<OutputRequest> outputs = options.outputs;
    if (outputs.empty()) outputs.push_back({"text", ""});
    FormatContext context;
    context.all = options.all;
    context.inputs = options.inputs;
    context.source_url = options.source_url;
    std::error_code ec;
    context.source_root = options.source_root.empty() ? defaultSourceRoot() : fs::absolute(options.source_root, ec).lexically_normal().string();
    if (context.source_root.size() > 1 && context.source_root.back() == '/') context.source_root.pop_back();
    failWritesPastFileSizeLimit();
    for (const auto& request : outputs) {
        auto formatter = makeFormatter(request.format);
        if (!formatter) {
            std::cerr << "leakscope: --format " << request.format << ": unknown format\n";
            return kExitInputError;
        }
        if (request.path.empty()) {
            FormatContext to_stdout = context;
            to_stdout.color = request.format == "text" && useColor(options.color, STDOUT_FILENO);
            formatter->write(report, std::cout, to_stdout);
            if (!outputWritten(std::cout, "stdout")) return kExitInputError;
            continue;
        }
        std::ofstream file(request.path, std::ios::trunc);
        if (!file) {
            std::cerr << "leakscope: --output " << request.path << ": cannot create the file\n";
            return kExitInputError;
        }
        FormatContext to_file = context;
        to_file.color = request.format == "text" && options.color == "always";
        formatter->write(report, file, to_file);
        if (!outputWritten(file, "--output " + request.path)) return kExitInputError;
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
    std::optional<PhaseTimer> load(std::in_place, "load");
    auto set = loadSnapshotSet(options.inputs);
    if (!set.ok()) {
        std::cerr << "leakscope: " << set.status().message() << "\n";
        return kExitInputError;
    }
    for (const auto& skipped : set->unreadable)
        std::cerr << "leakscope: " << skipped << (options.strict ? "" : " (skipped)") << "\n";
    if (options.strict && !set->unreadable.empty()) return kExitInputError;
    if (auto error = unmatchedLabelError(*set, options.labels); !error.empty()) {
        std::cerr << "leakscope: " << error << "\n";
        return kExitInputError;
    }
    size_t snapshots = 0;
    for (const auto& process : set->processes) snapshots += process.snapshots.size();
    load->detail = std::to_string(snapshots) + " snapshot(s) of " + std::to_string(set->processes.size()) + " process(es)";
    load.reset();
    Symbolizer symbolizer(options.no_cache ? "" : SymbolCache::defaultDirectory());
    Report report;
    {
        PhaseTimer analyse("analyse and symbolize");
        report = buildReport(*set, {options.labels, options.warmup}, symbolizer);
        analyse.detail = std::to_string(report.findings.size()) + " finding(s)";
    }
    // A skipped file's snapshots were never analysed: the verdict must not read "clean" over them.
    for (const auto& skipped : set->unreadable) {
        NotJudged entry;
        entry.reason = skipped + "; skipped, what it held was not judged";
        entry.what = "snapshot";
        report.not_judged.push_back(std::move(entry));
    }
    if (int status = suppressAndExplain(report, options, gate); status != kExitClean) return status;
    GateOptions default_gate;
    if (auto status = applyGate(report, gate ? *gate : default_gate); !status.ok()) {
        std::cerr << "leakscope: " << status.message() << "\n";
        return kExitInputError;
    }
    groupFindingsByCause(report, headlineRules(*set, symbolizer, options.alloc_fns));
    symbolizer.saveCache();  // every frame this report needs is described by now
    spdlog::debug("gate: {} finding(s) left, {} suppressed, {} baselined, verdict {}", report.findings.size(), report.suppressed,
                  report.baselined, verdictName(report));
    PhaseTimer write("write " + std::to_string(std::max<size_t>(options.outputs.size(), 1)) + " output(s)");
    if (int written = writeOutputs(report, options); written != kExitClean) return written;
    // Growth that could not be judged does not fail the gate by itself: every format says "not judged" and
    // why, and the exit-time checks still ran (docs/cli.md, "Exit codes"). A trivial program that allocates
    // nothing is not an error.
    return gate && report.leak ? kExitLeakFound : kExitClean;
}

int runReport(const ReportOptions& options) { return analyzeAndReport(options, nullptr); }

int runCheck(const ReportOptions& options, const GateOptions& gate) { return analyzeAndReport(options, &gate); }

}  // namespace leakscope::analyzer
