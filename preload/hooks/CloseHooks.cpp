// Interposed calls that close fds: close, fclose, closedir, and close_range/closefrom (what daemons and
// Python's subprocess use to close "everything above 2"). Each takes a live record out before the real
// call (HandleTable::takeForClose says why), reports a failing EBADF close as a bad, double, invalid
// or unopened-fd close with the caller's stack (HookSupport.h, finishClose), and never closes an fd the
// tracker itself holds (close() of one fails with EBADF, as it would in a plain run where that number
// is not open). close_range/closefrom touch only the fds that are open, so they report nothing.
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include <climits>

#include "hooks/HookSupport.h"
#include "handles/ProcFdScanner.h"

namespace leakscope::preload::handles {
namespace {

constinit RealFunction<decltype(&::close)> realClose("close");
constinit RealFunction<decltype(&::fclose)> realFclose("fclose");
// Spelled out: decltype would carry glibc's nonnull attribute, which template arguments drop (warning).
constinit RealFunction<int (*)(DIR*)> realClosedir("closedir");
constinit RealFunction<decltype(&::close_range)> realCloseRange("close_range");

// Closes [first, last] except the tracker's fds: the open fds in the range are taken out of the table
// and the real close_range runs on the stretches between tracker fds. The /proc/self/fd listing gives
// the open fds, so a range up to UINT_MAX costs what is open, not what the range spans.
int closeRangeSparingTrackerFds(unsigned first, unsigned last, int flags) noexcept {
    ProcFdScanner scanner;
    if (!scanner.opened()) return callReal(realCloseRange, first, last, flags);
    unsigned stretch_start = first;
    int result = 0;
    int fd;
    while (scanner.next(fd)) {
        const auto number = static_cast<unsigned>(fd);
        if (number < first || number > last) continue;
        if (!isTrackerFd(fd)) {
            handleTable().takeForClose(fd);
            continue;
        }
        if (number > stretch_start && callReal(realCloseRange, stretch_start, number - 1, flags) != 0) result = -1;
        stretch_start = number + 1;
    }
    // fds never exceed INT_MAX, so stretch_start (at most one past a real fd) did not wrap around.
    if (stretch_start <= last && callReal(realCloseRange, stretch_start, last, flags) != 0) result = -1;
    return result;
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;

LEAKSCOPE_EXPORT int close(int fd) {
    TakenHandle taken;
    const CloseAction action = beginClose(fd, taken);
    if (action == CloseAction::NotYours) {
        errno = EBADF;
        return -1;
    }
    const int result = callReal(realClose, fd);
    if (action == CloseAction::PassThrough) return result;
    ErrnoKeeper keep;
    finishClose(fd, taken, result, keep.saved());
    return result;
}

// fclose and closedir close their fd inside libc, so the record goes before the real call; fclose of
// a stream without an fd (fmemopen, fopencookie: fileno is -1) is none of our business.
LEAKSCOPE_EXPORT int fclose(FILE* stream) {
    const int fd = stream ? fileno(stream) : -1;
    TakenHandle taken;
    const CloseAction action = fd >= 0 ? beginClose(fd, taken) : CloseAction::PassThrough;
    // A stream's fd is never the tracker's (it would have had to fdopen it): the FILE is freed either way.
    const int result = callReal(realFclose, stream);
    if (action != CloseAction::Track) return result;
    ErrnoKeeper keep;
    finishClose(fd, taken, result, keep.saved());
    return result;
}

LEAKSCOPE_EXPORT int closedir(DIR* directory) {
    const int fd = dirfd(directory);  // closedir(NULL) crashes in libc either way (the argument is nonnull)
    TakenHandle taken;
    const CloseAction action = fd >= 0 ? beginClose(fd, taken) : CloseAction::PassThrough;
    const int result = callReal(realClosedir, directory);
    if (action != CloseAction::Track) return result;
    ErrnoKeeper keep;
    finishClose(fd, taken, result, keep.saved());
    return result;
}

LEAKSCOPE_EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
    ReentryGuard guard;
    // CLOSE_RANGE_CLOEXEC closes nothing (it only marks fds close-on-exec): let it through.
    if (!shouldRecord(guard) || first > last || (flags & CLOSE_RANGE_CLOEXEC)) {
        return callReal(realCloseRange, first, last, flags);
    }
    return closeRangeSparingTrackerFds(first, last, flags);
}

// glibc's closefrom calls close_range internally (not through the PLT), so it is hooked itself.
LEAKSCOPE_EXPORT void closefrom(int lowest_fd) {
    static constinit RealFunction<decltype(&::closefrom)> realClosefrom("closefrom");
    {
        ReentryGuard guard;
        if (shouldRecord(guard)) {
            closeRangeSparingTrackerFds(lowest_fd < 0 ? 0u : static_cast<unsigned>(lowest_fd), UINT_MAX, 0);
            return;
        }
    }
    if (auto real = realClosefrom.get()) real(lowest_fd);
}
