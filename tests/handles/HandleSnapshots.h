// Test-side reading of what `leakscope show` says about handles: runs a handleprog under the preload,
// loads every snapshot it wrote, and answers the questions the handle tests ask (which handle is at
// fd N, does its stack name function F, how many bad closes...). Only the documented JSON of
// `leakscope show` (docs/architecture.md) is used, never the tracker's internals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ProcessRunner.h"

namespace leakscope::testing::handles {

struct PreloadedRun {
    ProcessResult process;
    std::vector<nlohmann::json> snapshots;  // `leakscope show` of every snapshot, in time order
};

// Runs program under LD_PRELOAD with snapshots in a fresh temporary directory and shows them all.
PreloadedRun runAndShow(const std::vector<std::string>& program, const ProcessOptions& options = {});

// The snapshots with this label, in order (pid 0: any process).
std::vector<nlohmann::json> labelled(const PreloadedRun& run, const std::string& label, long pid = 0);
// The only snapshot with this label; fails the test if there is not exactly one.
nlohmann::json onlyLabelled(const PreloadedRun& run, const std::string& label);

// The live handles at fd (more than one would be a tracker bug the tests should see).
std::vector<nlohmann::json> handlesAtFd(const nlohmann::json& snapshot, int fd);
// Function names of the symbolized stack with this id (empty for id 0 or an unknown id).
std::vector<std::string> stackFunctions(const nlohmann::json& snapshot, uint64_t stack_id);
bool stackNamesFunction(const nlohmann::json& snapshot, const nlohmann::json& record, const std::string& function);
bool hasFlag(const nlohmann::json& handle, const std::string& flag);
// Events of one kind ("bad_close", "double_close"...).
std::vector<nlohmann::json> eventsOfKind(const nlohmann::json& snapshot, const std::string& kind);
uint64_t counter(const nlohmann::json& snapshot, const std::string& name);

// The whitespace-separated integers the program printed after `tag` ("fds 4 5" -> {4, 5}).
std::vector<int> printedNumbers(const std::string& output, const std::string& tag);

}  // namespace leakscope::testing::handles
