// The subcommands of `leakscope`. main.cpp parses the command line (CLI11) into these option structs;
// each run* function does one command's work and returns the process exit code (ExitCode).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Gate.h"

namespace leakscope::analyzer {

enum ExitCode : int {
    kExitClean = 0,       // nothing found by a gate (or the command simply succeeded)
    kExitLeakFound = 1,   // a gate found a leak
    kExitInputError = 2,  // bad usage or unreadable/corrupt input
};

// One requested output: --format F [--output FILE] ("" = stdout).
struct OutputRequest {
    std::string format = "text";
    std::string path;
};

struct ReportOptions {
    std::vector<std::string> inputs;  // directories and/or snapshot files
    std::vector<std::string> labels;  // empty: every label except "exit"
    int warmup = 1;
    std::vector<OutputRequest> outputs;
    std::vector<std::string> alloc_fns;     // --alloc-fn: skipped in headlines like a detected wrapper
    bool show_suppressed = false;           // --show-suppressed: which rule matched which finding
    bool no_default_suppressions = false;   // --no-default-suppressions: show runtime-internal findings
    std::string source_url;                 // --source-url TEMPLATE: html links file:line ({path}, {line})
    std::string source_root;      // --source-root; "": the git top-level of the cwd, else the cwd
    std::string color = "auto";   // --color auto|always|never (auto: text to a TTY, and NO_COLOR unset)
    bool all = false;             // --all: list every informational finding in text
    bool strict = false;  // --strict: an unreadable snapshot file is an input error (exit 2), not skipped
    bool no_cache = false;  // --no-cache: neither read nor write the symbol cache (core/SymbolCache.h)
};

struct RunOptions {
    std::string out_dir;
    int depth = 0;         // 0: the preload's default
    int interval_ms = -1;  // -1: not set
    std::string fail_alloc;
    bool no_follow_exec = false;
    bool reachability = false;  // --reachability: classify every snapshot (LEAKSCOPE_REACHABILITY=all)
    bool track_sandboxed = false;  // --track-sandboxed: LEAKSCOPE_SECCOMP=track
    bool check = false;
    bool force = false;    // --force: delete an earlier run's snapshots in out_dir instead of refusing
    ReportOptions report;  // inputs filled with out_dir after the run
    GateOptions gate;
    std::vector<std::string> program;
};

struct AttachOptions {
    std::string pid;
    std::string out_dir;
    int depth = 0;            // 0: the preload's default
    int interval_ms = 1000;   // periodic snapshot; 0: only the first and the last
    double duration_s = 0;    // 0: until Ctrl-C (SIGINT/SIGTERM) or the process ends
    bool force = false;
    bool check = false;
    ReportOptions report;     // inputs filled with out_dir after the detach
    GateOptions gate;
};

int runShow(const std::string& file);
int runDiff(const std::string& before, const std::string& after, const std::vector<OutputRequest>& outputs);
int runReport(const ReportOptions& options);
int runCheck(const ReportOptions& options, const GateOptions& gate);
int runSnap(const std::string& pid, const std::string& label);
int runProgram(RunOptions options);
int runAttach(AttachOptions options);  // commands/AttachCommand.cpp, docs/attach.md

// Loads the inputs, analyses them, applies the gate (`gate` nullptr: the default gate, for the
// verdict only), writes every requested output. Returns kExitLeakFound only when `gate` is given.
int analyzeAndReport(const ReportOptions& options, const GateOptions* gate);

}  // namespace leakscope::analyzer
