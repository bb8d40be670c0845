// The subdirectory a process that switched user writes into (see UserSwitchDirectory.h).
#include "snapshot/UserSwitchDirectory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "leakscope/SnapshotWriter.h"
#include "lifecycle/Config.h"
#include "lifecycle/PathText.h"
#include "lifecycle/TrackerFds.h"
#include "lifecycle/PathText.h"
#include "tracker/ErrnoKeeper.h"
#include "tracker/ThreadState.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

std::atomic<int> gSlot{-1};                 // TrackerFds slot of the prepared directory
std::atomic<uid_t> gUid{static_cast<uid_t>(-1)};  // the user it was made for

void forgetPrepared() noexcept {
    const int slot = gSlot.exchange(-1, std::memory_order_acq_rel);
    const int fd = releaseTrackerFdSlot(slot);  // forget, then close (TrackerFds.h)
    if (fd >= 0) syscall(SYS_close, fd);
    gUid.store(static_cast<uid_t>(-1), std::memory_order_release);
}

// Opens <dir>/uid-<uid> (made if missing), owned by `uid`, mode 0700; -1 when it cannot be had safely.
int openUserDirectory(const char* directory, uid_t uid) noexcept {
    char path[4200];
    size_t used = 0;
    if (!appendText(path, sizeof(path), used, directory) || !appendText(path, sizeof(path), used, "/uid-") ||
        !appendDecimal(path, sizeof(path), used, uid))
        return -1;
    if (syscall(SYS_mkdirat, AT_FDCWD, path, 0700) != 0 && errno != EEXIST) return -1;
    const int fd =
        static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0) return -1;
    struct stat status {};
    bool ok = syscall(SYS_newfstatat, fd, "", &status, AT_EMPTY_PATH) == 0 && S_ISDIR(status.st_mode);
    // Ours (just made, or left by an earlier worker and handed over) or already the new user's; a
    // directory of a third user is never taken over.
    if (ok && status.st_uid != uid)
        ok = status.st_uid == geteuid() && syscall(SYS_fchownat, fd, "", uid, -1, AT_EMPTY_PATH) == 0;
    if (!ok) {
        syscall(SYS_close, fd);
        return -1;
    }
    return fd;
}

}  // namespace

void prepareUserSwitch(uid_t new_euid) noexcept {
    if (!trackerActive() || sandboxed() || threadInsideTracker()) return;
    const uid_t euid = geteuid();
    if (euid != 0 || new_euid == static_cast<uid_t>(-1) || new_euid == euid) return;
    ReentryGuard guard;
    ErrnoKeeper keep_errno;
    if (gUid.load(std::memory_order_acquire) == new_euid && trackerFdInSlot(gSlot.load()) >= 0) return;
    forgetPrepared();
    char why[512];
    if (!snapshot::prepareOutputDirectory(config().output_dir, why, sizeof(why))) return;
    const int fd = openUserDirectory(config().output_dir, new_euid);
    if (fd < 0) return;
    const int placed = placeTrackerFd(fd);
    const int slot = claimTrackerFd(placed);
    if (slot < 0) {
        syscall(SYS_close, placed);
        return;
    }
    keepTrackerFdForLife(slot);
    gUid.store(new_euid, std::memory_order_release);
    gSlot.store(slot, std::memory_order_release);
}

void userSwitchFailed() noexcept {
    ErrnoKeeper keep_errno;
    if (gSlot.load(std::memory_order_acquire) >= 0 && geteuid() != gUid.load(std::memory_order_acquire))
        forgetPrepared();
}

bool switchedUserDirectory(char* out, size_t capacity) noexcept {
    if (geteuid() != gUid.load(std::memory_order_acquire)) return false;
    const int fd = trackerFdInSlot(gSlot.load(std::memory_order_acquire));
    size_t used = 0;
    return fd >= 0 && appendText(out, capacity, used, "/proc/thread-self/fd/") &&
           appendDecimal(out, capacity, used, static_cast<unsigned long>(fd));
}

}  // namespace leakscope::preload
