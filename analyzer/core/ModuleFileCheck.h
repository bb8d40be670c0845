// Whether the file at a module's recorded path is still the file the run loaded the module from, for a
// module without a build-id: the snapshot's ModuleFileRecord (size, mtime, device and inode when the
// preload first saw the module) against stat(2) of the path now. A module with a build-id is judged by
// its build-id instead (Symbolizer.cpp). A report must not name a frame by a symbol of another build.
#pragma once

#include <optional>
#include <string>

#include "leakscope/SnapshotReader.h"

namespace leakscope::analyzer {

// The file at `path` now as stat(2) describes it, following symlinks as the preload's stat did;
// nullopt when it cannot be stat'ed.
std::optional<snapshot::ModuleFile> currentModuleFile(const std::string& path);

// What differs between the run's file and the one now, for a note: "size/mtime differ", "inode
// differs", "device/inode differ"...; "" when nothing does.
std::string moduleFileDifference(const snapshot::ModuleFile& run, const snapshot::ModuleFile& now);

}  // namespace leakscope::analyzer
