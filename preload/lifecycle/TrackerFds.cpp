// See TrackerFds.h. Lock-free: a small fixed registry of atomics, filled by compare-and-swap.
#include "lifecycle/TrackerFds.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leakscope::preload {
namespace {

constexpr int kMaxPersistentFds = 8;
// Below this a process's fd limit is too small to spare the top for us: the fd is left where it is.
constexpr long kLowestRelocationFloor = 64;
// How far below the soft limit relocated fds start (room for several, and for the program's own
// "last fd" tricks, which are rare but exist).
constexpr long kDistanceBelowLimit = 32;

std::atomic<int> gPersistentFds[kMaxPersistentFds] = {-1, -1, -1, -1, -1, -1, -1, -1};
thread_local bool tInsideOwnCode __attribute__((tls_model("initial-exec"))) = false;

void registerFd(int fd) noexcept {
    for (auto& slot : gPersistentFds) {
        int expected = -1;
        if (slot.compare_exchange_strong(expected, fd, std::memory_order_acq_rel)) return;
    }
}

long relocationFloor() noexcept {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
    long floor = static_cast<long>(limit.rlim_cur) - kDistanceBelowLimit;
    return floor >= kLowestRelocationFloor ? floor : -1;
}

}  // namespace

TrackerOwnCodeScope::TrackerOwnCodeScope() noexcept : outer_(!tInsideOwnCode) { tInsideOwnCode = true; }

TrackerOwnCodeScope::~TrackerOwnCodeScope() {
    if (outer_) tInsideOwnCode = false;
}

bool insideTrackerOwnCode() noexcept { return tInsideOwnCode; }

int relocateTrackerFd(int fd) noexcept {
    if (fd < 0) return fd;
    int saved_errno = errno;
    int result = fd;
    long floor = relocationFloor();
    if (floor > fd) {
        // Raw syscalls: the fcntl and close hooks must not see (and record) the tracker's own moves.
        long moved = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor);
        if (moved >= 0) {
            syscall(SYS_close, fd);
            result = static_cast<int>(moved);
        }
    }
    registerFd(result);
    errno = saved_errno;
    return result;
}

bool isPersistentTrackerFd(int fd) noexcept {
    if (fd < 0) return false;
    for (const auto& slot : gPersistentFds)
        if (slot.load(std::memory_order_acquire) == fd) return true;
    return false;
}

}  // namespace leakscope::preload
