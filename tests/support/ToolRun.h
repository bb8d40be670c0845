// Runs programs under the real, built leakscope: the preload alone (LD_PRELOAD, as a user would) or the
// whole tool (`leakscope run`), and reads back what the analyzer says as JSON. Integration tests assert
// on these results, never on the tool's internals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ProcessRunner.h"

namespace leakscope::testing {

// Paths of the tool under test: LEAKSCOPE_PRELOAD / LEAKSCOPE_ANALYZER from the environment when set
// (to test an installed tree), else the ones this build produced.
std::string preloadPath();
std::string analyzerPath();

struct ToolRun {
    ProcessResult process;        // `leakscope run`'s own exit code and output (the program's output is in it)
    std::string snapshot_dir;     // where the snapshots were written
    nlohmann::json report;        // the JSON report (`--format json`), null if none was written
    std::vector<std::string> snapshots() const;  // *.lksnap files in snapshot_dir, sorted by name (= time)
};

// `leakscope run --out <dir>/snapshots --format json --output <dir>/report.json <tool_args...> -- <program...>`
// `dir` must exist (usually a TemporaryDirectory).
ToolRun runUnderTool(const std::string& dir, const std::vector<std::string>& program,
                     const std::vector<std::string>& tool_args = {}, const ProcessOptions& options = {});

// Runs the program with only LD_PRELOAD and LEAKSCOPE_OUTPUT_DIR=<snapshot_dir> set (no analyzer).
ProcessResult runWithPreload(const std::string& snapshot_dir, const std::vector<std::string>& program,
                             ProcessOptions options = {});

// Runs `leakscope <args...>`.
ProcessResult runAnalyzer(const std::vector<std::string>& args, const ProcessOptions& options = {});

// `leakscope show FILE` parsed; fails the current test (Catch2 REQUIRE) when the command fails.
nlohmann::json showSnapshot(const std::string& file);

// All *.lksnap files under dir, sorted by name.
std::vector<std::string> listSnapshots(const std::string& dir);

// Test-side lookups in a report (see docs/report-schema.md).
std::vector<nlohmann::json> findingsOfType(const nlohmann::json& report, const std::string& type);
// How many sites (fds, allocation stacks) a finding stands for: a grouped finding counts its
// `components` (docs/report-schema.md), a plain one counts 1.
int componentCount(const nlohmann::json& finding);
// True when any frame of the finding's stack has this function name (exact, or demangled prefix match
// up to '(' so "foo" matches "foo(int)").
bool stackHasFunction(const nlohmann::json& finding, const std::string& function);
// Function name of the first (innermost shown) frame, "" if none.
std::string topFunction(const nlohmann::json& finding);

}  // namespace leakscope::testing
