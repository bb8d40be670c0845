// The snapshot request protocol (docs/architecture.md, "External request"), shared by `snap` and
// `attach`, and the registry that tells `snap` where an attached process writes.
#pragma once

#include <filesystem>
#include <string>

namespace leakscope::analyzer {

// The preload's tool thread in process `pid` ("leakscope" in its comm), 0 when there is none.
long toolThreadOf(const std::string& pid);

// Writes `label` to <dir>/.request-<pid> and sends `signal_number` to the tool thread, or, when it
// has none and `may_signal_process`, to the process (a preload's process-wide handler takes it).
// Returns "" when sent, else one line.
std::string sendSnapshotRequest(const std::string& pid, const std::filesystem::path& dir, const std::string& label,
                                int signal_number, bool may_signal_process);

// `leakscope attach` registers the snapshot directory of the process it attached, for `snap`:
// ${XDG_RUNTIME_DIR:-/tmp}/leakscope-<euid>/attached-<pid>, two lines: the process's start time
// (field 22 of /proc/PID/stat, so a reused pid does not match) and the directory.
std::string attachRegistryPath(const std::string& pid);
// The registered directory of the attached process `pid`, "" when none (or a reused pid).
std::string attachedOutputDir(const std::string& pid);

}  // namespace leakscope::analyzer
