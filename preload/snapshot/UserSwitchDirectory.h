// Where a process that switched user writes its snapshots (issue 16, kind 11: nginx workers, daemons
// that drop root). The run's directory is 0700 and owned by the user the run started as, often inside
// a private directory the new user cannot even traverse; so while the process is still privileged (the
// hooked setuid family calls this before the real call) a subdirectory `uid-<N>` owned by the new user
// is made in it and opened (O_PATH, close-on-exec, placed high and registered in TrackerFds like every
// tool fd). After the switch the snapshot is written through that fd's /proc/thread-self/fd link, so no
// component above it is looked up with the new user's rights. The report finds the subdirectory (it
// reads the run's directory recursively).
//
// Cost: this one fd is held for the rest of the process's life, in processes that switched user only.
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace leakscope::preload {

// Before a setuid/seteuid/setreuid/setresuid that changes the effective user from root to `new_euid`:
// makes and opens `<output dir>/uid-<new_euid>`. Does nothing when the process is not root, the user
// does not change, or the tracker is off; on any failure nothing is kept (and the later snapshots are
// not written, as before: an Info log line says why). Keeps errno.
void prepareUserSwitch(uid_t new_euid) noexcept;
// The switch failed: the directory fd prepared for it is given up.
void userSwitchFailed() noexcept;

// After a switch: "/proc/thread-self/fd/<n>" of the prepared directory when the effective user is the
// one it was made for; false otherwise.
bool switchedUserDirectory(char* out, size_t capacity) noexcept;

}  // namespace leakscope::preload
