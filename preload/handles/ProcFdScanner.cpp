#include "handles/ProcFdScanner.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "lifecycle/FdTableCopy.h"
#include "lifecycle/TrackerFds.h"


namespace leakscope::preload::handles {

namespace {

// The kernel's linux_dirent64 (glibc declares struct dirent64 with the same layout only under _GNU_SOURCE
// and a different name; spelling it out keeps the parse independent of that).
struct KernelDirent64 {
    uint64_t inode;
    int64_t offset;
    unsigned short record_length;
    unsigned char type;
    char name[1];
};

// Parses a non-negative decimal fd name; -1 for "." and "..".
int parseFdName(const char* name) noexcept {
    if (!*name) return -1;
    long value = 0;
    for (; *name; ++name) {
        if (*name < '0' || *name > '9' || value > 0x7fffffff / 10) return -1;
        value = value * 10 + (*name - '0');
    }
    return static_cast<int>(value);
}

}  // namespace

// /proc/thread-self, not /proc/self: after main calls pthread_exit, /proc/self names the exited
// leader, whose fd directory lists nothing, and the exit snapshot would lose every handle.
// /proc/self only where the kernel has no thread-self (before Linux 3.17). On the snapshot helper
// (lifecycle/FdTableCopy.h) the program's table is the waiting thread's, named by programFdPath(); the
// listing's own fd is then in the helper's copy: neither the program's number nor registered.
ProcFdScanner::ProcFdScanner() noexcept {
    char path[64];
    const bool on_copy = onCopiedFdTable();
    int opened = programFdPath(-1, path, sizeof(path))
                     ? static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
                     : -1;
    if (opened < 0 && !on_copy)
        opened = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (opened < 0) return;
    if (on_copy) {
        directory_fd_ = opened;
        return;
    }
    lists_itself_ = true;
    directory_fd_ = placeTrackerFd(opened);
    slot_ = claimTrackerFd(directory_fd_);
}

ProcFdScanner::~ProcFdScanner() {
    if (directory_fd_ < 0) return;
    // Forgotten before it is closed, and closed under the number the registry had last (a program's
    // dup2 may have moved it meanwhile).
    const int fd = slot_ >= 0 ? releaseTrackerFdSlot(slot_) : directory_fd_;
    if (fd >= 0) syscall(SYS_close, fd);
}

int ProcFdScanner::currentFd() const noexcept { return slot_ >= 0 ? trackerFdInSlot(slot_) : directory_fd_; }

bool ProcFdScanner::refill() noexcept {
    const long read = syscall(SYS_getdents64, currentFd(), buffer_, sizeof(buffer_));
    if (read <= 0) return false;
    buffer_used_ = static_cast<size_t>(read);
    buffer_position_ = 0;
    return true;
}

bool ProcFdScanner::next(int& fd) noexcept {
    if (directory_fd_ < 0) return false;
    for (;;) {
        if (buffer_position_ >= buffer_used_ && !refill()) return false;
        const auto* entry = reinterpret_cast<const KernelDirent64*>(buffer_ + buffer_position_);
        buffer_position_ += entry->record_length;
        const int listed = parseFdName(entry->name);
        // The scanner's own fd is listed unless unregistered: registered, it is a tracker fd, which
        // every caller skips (and close_range spares, so the listing survives a close-everything).
        if (listed < 0 || (lists_itself_ && slot_ < 0 && listed == directory_fd_)) continue;
        fd = listed;
        return true;
    }
}

}  // namespace leakscope::preload::handles
