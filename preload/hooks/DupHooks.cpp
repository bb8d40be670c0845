// Interposed calls that duplicate fds or change their close-on-exec flag: dup, dup2, dup3 and fcntl
// (F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD), plus fcntl64, which glibc's headers call instead of fcntl when a
// program is built with _FILE_OFFSET_BITS=64.
//
// dup2/dup3 onto an open fd close it implicitly: the new Duplicate record replaces the old one in the
// table, which counts the old one as closed (HandleTable::recordOpened).
#include <fcntl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdint>

#include "handles/HandleDescriptions.h"
#include "hooks/HookSupport.h"

namespace leakscope::preload::handles {
namespace {

using FcntlFunction = int (*)(int, int, ...);

constinit RealFunction<decltype(&::dup)> realDup("dup");
constinit RealFunction<decltype(&::dup2)> realDup2("dup2");
constinit RealFunction<decltype(&::dup3)> realDup3("dup3");
constinit RealFunction<FcntlFunction> realFcntl("fcntl");
constinit RealFunction<FcntlFunction> realFcntl64("fcntl64");

[[gnu::always_inline]] inline int recordDuplicate(int new_fd, int source_fd, bool cloexec) noexcept {
    ErrnoKeeper keep;
    recordNewFd(new_fd, [&](HandleEntry& entry) {
        entry.kind = snapshot::HandleKind::Duplicate;
        entry.detail_a = source_fd;
        char target[kHandlePathCapacity];
        entry.setPath(target, readFdTarget(new_fd, target, sizeof(target)));
        if (cloexec) entry.flags |= snapshot::kHandleCloexec;
    });
    return new_fd;
}

// dup2/dup3 aimed at a tracker fd (its snapshot file or libunwind's pipe) are refused with EBUSY, which
// Linux's dup2 documents for a target fd that is busy. Neither alternative keeps both sides right:
// doing the dup2 would make the tracker write its snapshot bytes into the program's file (or libunwind's
// probes into it), and pretending success would send the program's writes into the tracker's file.
// An honest failure changes nothing behind anybody's back. (Keeping both right needs the core to move
// its fd elsewhere first; see docs/handles.md.)
bool isRefusedTarget(int old_fd, int new_fd) noexcept {
    if (old_fd == new_fd) return false;
    ReentryGuard guard;
    return shouldRecord(guard) && isTrackerFd(new_fd);
}

// fcntl's third argument is an int, a pointer, or absent, depending on the command; glibc's own fcntl
// reads it as a pointer-sized value whatever the command, and so do we, so it reaches the real fcntl
// unchanged in every case (on x86-64 and aarch64 an int and a pointer travel in the same register).
[[gnu::always_inline]] inline int recordFcntl(int result, int fd, int command, void* argument) noexcept {
    if (result < 0) return result;
    if (command == F_DUPFD || command == F_DUPFD_CLOEXEC) return recordDuplicate(result, fd, command == F_DUPFD_CLOEXEC);
    if (command == F_SETFD) {
        ErrnoKeeper keep;
        ReentryGuard guard;
        if (!shouldRecord(guard)) return result;
        const bool cloexec = reinterpret_cast<intptr_t>(argument) & FD_CLOEXEC;
        handleTable().updateLive(fd, cloexec ? snapshot::kHandleCloexec : 0, cloexec ? 0 : snapshot::kHandleCloexec);
    }
    return result;
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;

LEAKSCOPE_EXPORT int dup(int old_fd) { return recordDuplicate(callReal(realDup, old_fd), old_fd, false); }

LEAKSCOPE_EXPORT int dup2(int old_fd, int new_fd) {
    if (isRefusedTarget(old_fd, new_fd)) {
        errno = EBUSY;
        return -1;
    }
    const int result = callReal(realDup2, old_fd, new_fd);
    if (old_fd == new_fd) return result;  // nothing was duplicated: dup2(fd, fd) only checks fd
    return recordDuplicate(result, old_fd, false);
}

LEAKSCOPE_EXPORT int dup3(int old_fd, int new_fd, int flags) {
    if (isRefusedTarget(old_fd, new_fd)) {
        errno = EBUSY;
        return -1;
    }
    return recordDuplicate(callReal(realDup3, old_fd, new_fd, flags), old_fd, flags & O_CLOEXEC);
}

LEAKSCOPE_EXPORT int fcntl(int fd, int command, ...) {
    va_list arguments;
    va_start(arguments, command);
    void* argument = va_arg(arguments, void*);
    va_end(arguments);
    return recordFcntl(callReal(realFcntl, fd, command, argument), fd, command, argument);
}

LEAKSCOPE_EXPORT int fcntl64(int fd, int command, ...) {
    va_list arguments;
    va_start(arguments, command);
    void* argument = va_arg(arguments, void*);
    va_end(arguments);
    return recordFcntl(callReal(realFcntl64, fd, command, argument), fd, command, argument);
}
