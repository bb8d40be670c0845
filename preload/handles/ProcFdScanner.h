// Lists the fds open in this process from /proc/self/fd with raw syscalls (openat, getdents64, readlink,
// close): no opendir (it allocates) and no hooked function (the scan runs inside the preload's own
// initialisation and snapshot writer). The kernel lists /proc/self/fd in increasing fd order, which
// lets the reconciliation walk the listing and the handle table side by side. Its own fd is a tracker
// fd (TrackerFds.h): high, close-on-exec, registered while the scanner lives; on the snapshot helper
// (lifecycle/FdTableCopy.h) it is in the helper's copy of the table and lists the program's.
#pragma once

#include <cstddef>

namespace leakscope::preload::handles {

class ProcFdScanner {
public:
    ProcFdScanner() noexcept;
    ~ProcFdScanner();
    ProcFdScanner(const ProcFdScanner&) = delete;
    ProcFdScanner& operator=(const ProcFdScanner&) = delete;

    // False when /proc/self/fd could not be opened (no /proc mounted, fd limit reached).
    bool opened() const noexcept { return directory_fd_ >= 0; }

    // The next open fd (the scanner's own is listed too, as a tracker fd). False at the end of the listing or on a read error.
    // (readFdTarget gives its link target, for the fds that need one.)
    bool next(int& fd) noexcept;

private:
    bool refill() noexcept;
    int currentFd() const noexcept;

    int directory_fd_ = -1;
    int slot_ = -1;  // its TrackerFds registration
    bool lists_itself_ = false;  // false on the snapshot helper: it lists the program's table, not its own
    size_t buffer_used_ = 0;
    size_t buffer_position_ = 0;
    alignas(8) char buffer_[4096];
};

}  // namespace leakscope::preload::handles
