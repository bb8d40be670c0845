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

// Built-in rules for the runtime's own allocations, which every program of a kind has and no program
// can free: glibc's thread DTV (allocate_dtv, _dl_allocate_tls, TLS of dlopened modules), stdio's
// buffers (_IO_file_doallocate), libstdc++'s exception emergency pool (72,704 bytes, allocated before
// main, often before the tracker can walk a stack), the NSS and resolver caches (__nss_*, _nss_*,
// __resolv_conf*, __res_*). Names match only frames of libc, the dynamic loader and libstdc++.
// docs/cli.md lists them; `--no-default-suppressions` turns them off.
struct DefaultSuppression {
    std::string name;  // "glibc thread DTV", as shown by --show-suppressed
    std::vector<std::string> functions;  // globs on a runtime frame's bare function name
};
const std::vector<DefaultSuppression>& defaultSuppressions();

// The name of the built-in rule matching `finding`, or "" (none matches).
std::string defaultSuppressionFor(const Finding& finding);

// Removes the findings a built-in rule matches; returns how many. With `explain`, one line per
// removed finding ("default rule <name>: <finding>") is appended to it.
int applyDefaultSuppressions(std::vector<Finding>& findings, std::vector<std::string>* explain);

// For --show-suppressed and the catch-all warning: one line per finding a rule of the file matches
// ("<file:line> TYPE:PATTERN: <finding>") into `explain`, and one warning per rule that matches every
// finding (when there are at least two) into `warnings`.
void explainSuppressions(const std::vector<Suppression>& rules, const std::vector<Finding>& findings,
                         std::vector<std::string>* explain, std::vector<std::string>& warnings);

}  // namespace leakscope::analyzer
