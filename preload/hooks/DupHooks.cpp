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
#include "lifecycle/TrackerFds.h"

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

// dup2/dup3 aimed at a tracker fd (the snapshot file being written, a /proc listing, libunwind's pipe):
// the tracker's fd is moved to another high number first, then the program's call runs exactly as in a
// plain run. Never EBUSY: the program owns every number it names (TrackerFds.h has the rules).
void moveTrackerFdOutOfTheWay(int old_fd, int new_fd) noexcept {
    if (old_fd == new_fd) return;
    ReentryGuard guard;
    if (guard.owns() && isTrackerFd(new_fd)) moveTrackerFdAway(new_fd);
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
    moveTrackerFdOutOfTheWay(old_fd, new_fd);
    const int result = callReal(realDup2, old_fd, new_fd);
    if (old_fd == new_fd) return result;  // nothing was duplicated: dup2(fd, fd) only checks fd
    return recordDuplicate(result, old_fd, false);
}

LEAKSCOPE_EXPORT int dup3(int old_fd, int new_fd, int flags) {
    moveTrackerFdOutOfTheWay(old_fd, new_fd);
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
