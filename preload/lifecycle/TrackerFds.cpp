// See TrackerFds.h. Lock-free: a small fixed registry of atomics, filled by compare-and-swap; every fd
// operation is a raw syscall so the tracker's own moves never reach the hooks (or get recorded).
#include "lifecycle/TrackerFds.h"

#include "tables/SpinLock.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leakscope::preload {
namespace {

// A snapshot file, a /proc/self/fd listing or two, a kept directory: never more than a handful at once.
constexpr int kMaxTrackerFds = 16;
// Downward probes for a free high number before giving up (each is one fcntl; the first usually works).
constexpr int kMaxProbes = 256;

std::atomic<int> gTrackerFds[kMaxTrackerFds] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                  -1, -1, -1, -1, -1, -1, -1, -1};
// Which thread claimed each slot (its SpinLock owner token; 0 for fds kept for life): a longjmp that
// abandons the tracker's frames releases the fds they had claimed (releaseTrackerFdsClaimedHere).
std::atomic<uintptr_t> gTrackerFdOwners[kMaxTrackerFds] = {};

// One past the highest number the tracker may take.
long trackerFdTop() noexcept {
    rlimit limit{};
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit) != 0) return kTrackerFdCeiling;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > static_cast<rlim_t>(kTrackerFdCeiling))
        return kTrackerFdCeiling;
    return static_cast<long>(limit.rlim_cur);
}

// A close-on-exec duplicate of fd at the highest free number above `lowest` (exclusive), or -1.
// F_DUPFD_CLOEXEC returns the lowest free number >= its argument, so probing downward from the top
// finds the highest free one with the first success.
int duplicateHigh(int fd, long lowest) noexcept {
    long top = trackerFdTop();
    for (long candidate = top - 1, probes = 0; candidate > lowest && probes < kMaxProbes; --candidate, ++probes) {
        long moved = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, candidate);
        if (moved >= 0) return static_cast<int>(moved);
        if (errno != EMFILE && errno != EINVAL) return -1;  // EBADF: nothing to move
    }
    return -1;
}

}  // namespace

int placeTrackerFd(int fd) noexcept {
    if (fd < 0) return fd;
    int saved_errno = errno;
    int result = duplicateHigh(fd, fd);
    if (result >= 0) {
        syscall(SYS_close, fd);
    } else {
        syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
        result = fd;
    }
    errno = saved_errno;
    return result;
}

int claimTrackerFd(int fd) noexcept {
    if (fd < 0) return -1;
    for (int slot = 0; slot < kMaxTrackerFds; ++slot) {
        int expected = -1;
        if (gTrackerFds[slot].compare_exchange_strong(expected, fd, std::memory_order_acq_rel)) {
            gTrackerFdOwners[slot].store(lockOwnerToken(), std::memory_order_release);
            return slot;
        }
    }
    return -1;
}

int trackerFdInSlot(int slot) noexcept {
    if (slot < 0 || slot >= kMaxTrackerFds) return -1;
    return gTrackerFds[slot].load(std::memory_order_acquire);
}

int releaseTrackerFdSlot(int slot) noexcept {
    if (slot < 0 || slot >= kMaxTrackerFds) return -1;
    // Owner first: a signal in between leaves a claimed slot without owner (never recovered, one fd
    // lost), never a free slot naming this thread that another thread could claim meanwhile.
    gTrackerFdOwners[slot].store(0, std::memory_order_release);
    return gTrackerFds[slot].exchange(-1, std::memory_order_acq_rel);
}

void keepTrackerFdForLife(int slot) noexcept {
    if (slot >= 0 && slot < kMaxTrackerFds) gTrackerFdOwners[slot].store(0, std::memory_order_release);
}

void releaseTrackerFdsClaimedHere() noexcept {
    const uintptr_t me = lockOwnerToken();
    for (int slot = 0; slot < kMaxTrackerFds; ++slot) {
        if (gTrackerFdOwners[slot].load(std::memory_order_acquire) != me) continue;
        const int fd = releaseTrackerFdSlot(slot);
        if (fd >= 0) syscall(SYS_close, fd);
    }
}

bool isPersistentTrackerFd(int fd) noexcept {
    if (fd < 0) return false;
    for (const auto& slot : gTrackerFds)
        if (slot.load(std::memory_order_acquire) == fd) return true;
    return false;
}

void moveTrackerFdAway(int fd) noexcept {
    if (fd < 0) return;
    for (auto& slot : gTrackerFds) {
        if (slot.load(std::memory_order_acquire) != fd) continue;
        int saved_errno = errno;
        int moved = duplicateHigh(fd, -1);
        errno = saved_errno;
        // No other number free: the tracker gives the fd up (its user then fails on -1) rather than
        // make the program's call fail.
        int expected = fd;
        if (!slot.compare_exchange_strong(expected, moved, std::memory_order_acq_rel) && moved >= 0)
            syscall(SYS_close, moved);  // released meanwhile: the number is nobody's now
        return;
    }
}

bool closeOneFdOfThisCopy() noexcept {
    rlimit limit{};
    long top = syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                   ? static_cast<long>(limit.rlim_cur)
                   : kTrackerFdCeiling;
    for (long fd = top - 1; fd >= 3; --fd)
        if (syscall(SYS_fcntl, fd, F_GETFD) >= 0) return syscall(SYS_close, fd) == 0;
    return false;
}

}  // namespace leakscope::preload
