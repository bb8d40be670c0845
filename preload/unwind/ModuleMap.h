// The module map of the snapshot: every module loaded now or earlier (path, build-id, load bias,
// address range, and the size/mtime/inode of its file when it was first seen), so the analyzer can symbolize frames offline, including frames in libraries the
// program dlclose'd before the snapshot (kept with the sequence number at which they were seen gone).
#pragma once

#include "tracker/TrackerCore.h"

namespace leakscope::preload::module_map {

// Re-reads dl_iterate_phdr: adds new modules (stat'ing each one's file once), marks vanished ones
// unloaded. Called at start, at every snapshot and before every dlclose (so a library loaded and closed
// between two snapshots is still known).
void refresh() noexcept;

// Writes the Modules and ModuleFiles sections (refresh() first).
bool writeSection(SnapshotSectionSink& sink) noexcept;

// longjmp recovery (tracker/ThreadState.h): the map's lock, when this thread owns it, is released.
void releaseLockOwnedHere() noexcept;
void lockForFork() noexcept;
void unlockAfterFork() noexcept;

}  // namespace leakscope::preload::module_map
