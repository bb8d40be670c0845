#include "ToolRun.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <algorithm>

namespace leakscope::testing {
namespace {

std::string fromEnvironmentOr(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

std::string baseFunctionName(const std::string& name) {
    auto paren = name.find('(');
    return paren == std::string::npos ? name : name.substr(0, paren);
}

}  // namespace

std::string preloadPath() { return fromEnvironmentOr("LEAKSCOPE_PRELOAD", LEAKSCOPE_BUILT_PRELOAD); }
std::string analyzerPath() { return fromEnvironmentOr("LEAKSCOPE_ANALYZER", LEAKSCOPE_BUILT_ANALYZER); }

std::vector<std::string> listSnapshots(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".lksnap") files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
        return std::filesystem::path(a).filename() < std::filesystem::path(b).filename();
    });
    return files;
}

std::vector<std::string> ToolRun::snapshots() const { return listSnapshots(snapshot_dir); }

ToolRun runUnderTool(const std::string& dir, const std::vector<std::string>& program,
                     const std::vector<std::string>& tool_args, const ProcessOptions& options) {
    ToolRun run;
    run.snapshot_dir = dir + "/snapshots";
    std::string report_path = dir + "/report.json";
    std::vector<std::string> argv = {analyzerPath(), "run", "--out", run.snapshot_dir, "--format", "json",
                                     "--output", report_path};
    argv.insert(argv.end(), tool_args.begin(), tool_args.end());
    argv.push_back("--");
    argv.insert(argv.end(), program.begin(), program.end());
    ProcessOptions with_preload = options;
    with_preload.set_env.emplace("LEAKSCOPE_PRELOAD", preloadPath());
    run.process = runProcess(argv, with_preload);
    if (std::filesystem::exists(report_path)) {
        std::string text = readFile(report_path);
        run.report = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    }
    INFO("leakscope run stderr:\n" << run.process.err);
    return run;
}

ProcessResult runWithPreload(const std::string& snapshot_dir, const std::vector<std::string>& program,
                             ProcessOptions options) {
    options.set_env["LD_PRELOAD"] = preloadPath();
    options.set_env["LEAKSCOPE_OUTPUT_DIR"] = snapshot_dir;
    return runProcess(program, options);
}

ProcessResult runAnalyzer(const std::vector<std::string>& args, const ProcessOptions& options) {
    std::vector<std::string> argv = {analyzerPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, options);
}

nlohmann::json showSnapshot(const std::string& file) {
    ProcessResult shown = runAnalyzer({"show", file});
    INFO("leakscope show " << file << " stderr: " << shown.err);
    REQUIRE(shown.exit_code == 0);
    auto parsed = nlohmann::json::parse(shown.out, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    return parsed;
}

std::vector<nlohmann::json> findingsOfType(const nlohmann::json& report, const std::string& type) {
    std::vector<nlohmann::json> result;
    if (!report.is_object() || !report.contains("findings")) return result;
    for (const auto& finding : report["findings"])
        if (finding.value("type", "") == type) result.push_back(finding);
    return result;
}

int componentCount(const nlohmann::json& finding) {
    return finding.contains("components") && !finding["components"].empty() ? int(finding["components"].size()) : 1;
}

bool stackHasFunction(const nlohmann::json& finding, const std::string& function) {
    if (!finding.contains("stack")) return false;
    for (const auto& frame : finding["stack"]) {
        std::string name = frame.value("function", "");
        if (name == function || baseFunctionName(name) == function) return true;
    }
    return false;
}

std::string topFunction(const nlohmann::json& finding) {
    if (!finding.contains("stack") || finding["stack"].empty()) return "";
    return finding["stack"][0].value("function", "");
}

}  // namespace leakscope::testing
