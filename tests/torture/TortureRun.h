// The torture suite's one procedure: run a program twice, once plainly and once under the preload,
// in identical fresh working directories, and hand back both results plus the snapshots the traced run
// wrote. Tests then assert identical behaviour and valid snapshots with the checks below.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ProcessRunner.h"

namespace leakscope::torture {

// One command of a scenario, run in the scenario's working directory.
using Command = std::vector<std::string>;

// Creates the files a scenario needs inside its (empty) working directory.
using PrepareDirectory = std::function<void(const std::string& working_directory)>;

struct Scenario {
    std::vector<Command> commands;    // run in order; all of them run even when one fails
    PrepareDirectory prepare;         // may be empty
    testing::ProcessOptions options;  // environment and timeout; working_directory is set per run
};

// What one way of running the scenario produced: every command's exit code, stdout and stderr, in one
// text (the working directory's path replaced by "<cwd>" so the two runs compare equal).
struct Transcript {
    std::string out;
    std::string err;
    std::vector<int> exit_codes;
    bool timed_out = false;
};

struct ComparedRuns {
    Transcript plain;
    Transcript traced;
    std::string snapshot_dir;  // where the traced run's snapshots are
};

// Runs the scenario without and with the preload, each in its own copy of the working directory
// under `root` (a TemporaryDirectory's path).
ComparedRuns runBothWays(const std::string& root, const Scenario& scenario);

// Catch2 checks: no timeout, same exit codes, same stdout; same stderr when `compare_stderr`.
void requireSameBehaviour(const ComparedRuns& runs, bool compare_stderr);

// Every snapshot in dir through `leakscope show` (each must parse); requires at least one, and an
// exit snapshot from at least `min_exited_processes` distinct pids. Returns the parsed snapshots.
std::vector<nlohmann::json> requireValidSnapshots(const std::string& dir, size_t min_exited_processes = 1);

// The snapshots from `requireValidSnapshots` with this label.
std::vector<nlohmann::json> withLabel(const std::vector<nlohmann::json>& snapshots, const std::string& label);

// Absolute path of `name` found in PATH, or "" when it is not installed.
std::string findInPath(const std::string& name);

}  // namespace leakscope::torture
