// Reading what leakscope recorded for the lws targets: the "start" and "cycle" snapshots of a run
// (through `leakscope show`), the fds each holds, and a readable summary of a report's findings for
// failure messages. Assertions stay in the test files.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "ToolRun.h"

namespace leakscope::lws_tests {

// The snapshots a target took through the API, in time order (`leakscope show` JSON).
struct CycleSnapshots {
    nlohmann::json start;                // label "start": before the first cycle
    std::vector<nlohmann::json> cycles;  // label "cycle": one per completed cycle (or per sampled one)
    std::vector<int> cycle_numbers;      // 1-based cycle of each entry of `cycles`
    int cycles_taken = 0;                // "cycle" snapshots in the run, shown or not
};

// Shows the "start" snapshot and the "cycle" snapshots of the run (with `every` > 1: cycle 1 and every
// `every`-th cycle, for long runs where showing each file would dominate the test's time; the label is
// read from the file name, <ns>-<pid>-<index>-<label>.lksnap, docs/architecture.md). Fails the test
// (REQUIRE) when there is not exactly one "start" snapshot.
CycleSnapshots loadCycleSnapshots(const testing::ToolRun& run, int every = 1);

// The fds of a snapshot's live handles.
std::set<int> openFds(const nlohmann::json& snapshot);

// How many live handles of a snapshot are sockets whose details contain both `family` and `type`
// (for example "AF_INET", "SOCK_DGRAM").
int countSockets(const nlohmann::json& snapshot, const std::string& family, const std::string& type);

// A cumulative counter of a snapshot ("handles_opened", "live_bytes", ...); -1 when absent.
long long counter(const nlohmann::json& snapshot, const std::string& name);

// The handles of a snapshot whose kind is `kind` and whose details or path contain `text`.
int countHandles(const nlohmann::json& snapshot, const std::string& kind, const std::string& text = "");

// "3 4 10 251" for messages.
std::string describeFds(const std::set<int>& fds);

// One line per finding: type, resource/kind, per-cycle counts and the first frames, for INFO().
std::string describeFindings(const nlohmann::json& report);

// The handles a snapshot holds that are not in `baseline`, one per line with kind, details and the
// first frames of the stack that opened them, for INFO().
std::string describeExtraHandles(const nlohmann::json& snapshot, const std::set<int>& baseline);

}  // namespace leakscope::lws_tests
