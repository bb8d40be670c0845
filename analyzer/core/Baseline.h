// Baseline file: the findings a team has accepted, keyed by stack_key (StackKey.h), so `check` fails
// only on new ones. JSON: {"schema_version":1, "accepted":[{"stack_key":"…","type":"…","function":"…"}]}
// ("type" and "function" are for people reading the file; only stack_key is matched).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/Report.h"

namespace leakscope::analyzer {

// InvalidArgument naming the file for unparsable content; NotFound when missing.
absl::StatusOr<std::set<std::string>> readBaseline(const std::string& path);

absl::Status writeBaseline(const std::string& path, const std::vector<Finding>& findings);

}  // namespace leakscope::analyzer
