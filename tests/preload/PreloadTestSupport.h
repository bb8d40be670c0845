// Helpers of the preload's integration tests: reading what `leakscope show` says about a snapshot in
// the terms the tests assert on (functions in a stack, allocations by function, events by kind).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ToolRun.h"

namespace leakscope::testing {

// The symbolized function names of stack `id` in a `show` document, innermost first.
std::vector<std::string> stackFunctions(const nlohmann::json& shown, uint64_t id);
// True when a frame's function is `function` (or starts with "function(" for C++ signatures).
bool stackContains(const nlohmann::json& shown, uint64_t id, const std::string& function);
// Allocation records whose stack contains `function`.
std::vector<nlohmann::json> allocationsFrom(const nlohmann::json& shown, const std::string& function);
// Events of one kind ("injected_failure", "bad_free", ...).
std::vector<nlohmann::json> eventsOfKind(const nlohmann::json& shown, const std::string& kind);
// The snapshots in dir whose file name ends with "-<label>.lksnap".
std::vector<std::string> snapshotsLabelled(const std::string& dir, const std::string& label);
// Lines of `text` that start with "leakscope:" (the preload's diagnostics).
std::vector<std::string> diagnosticLines(const std::string& text);

}  // namespace leakscope::testing
