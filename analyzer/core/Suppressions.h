// Suppressions file: one rule per line, `TYPE:PATTERN`. TYPE is a finding type (growth, leaked_handle,
// exit_leak, bad_close, double_close, bad_free, failed_allocation, injected_failure) or `*`. PATTERN is
// a shell glob (fnmatch: * ? [...]) matched against every frame of the finding's stack: the function
// name (with or without its parameter list), the module's basename, and the source file (full path or
// basename). `#` starts a comment; blank lines are ignored. Full description: docs/cli.md.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/Report.h"

namespace leakscope::analyzer {

struct Suppression {
    std::string type;     // finding type or "*"
    std::string pattern;  // glob
    std::string where;    // "file:line", for messages
};

// InvalidArgument "<file>:<line>: <problem>" for a malformed line; NotFound if unreadable.
absl::StatusOr<std::vector<Suppression>> readSuppressions(const std::string& path);
absl::StatusOr<std::vector<Suppression>> parseSuppressions(const std::string& text, const std::string& name);

bool suppressionMatches(const Suppression& suppression, const Finding& finding);

}  // namespace leakscope::analyzer
