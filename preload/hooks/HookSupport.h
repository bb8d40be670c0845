// What every handle hook shares: the typed real function behind an interposed symbol, the errno
// keeper, and the inline steps that record a handle or a bad close. The steps that capture a stack
// are always_inline so that the hook stays one frame: captureStack() drops the preload's own frames by
// their addresses, and an inlined helper keeps the walk through them short.
#pragma once

#include <atomic>
#include <cerrno>
#include <type_traits>

#include "hooks/Export.h"
#include "hooks/RealFunctions.h"
#include "tables/HandleTable.h"
#include "tracker/ErrnoKeeper.h"
#include "tracker/TrackerCore.h"

namespace leakscope::preload::handles {

using leakscope::preload::RealFunction;  // hooks/RealFunctions.h

// Calls the real function; when this libc lacks it, fails the way a missing syscall does (ENOSYS).
template <typename Function, typename... Args>
inline auto callReal(RealFunction<Function>& real, Args... args) noexcept {
    using Result = std::invoke_result_t<Function, Args...>;
    const Function function = real.get();
    if (!function) {
        errno = ENOSYS;
        if constexpr (std::is_pointer_v<Result>) {
            return Result{nullptr};
        } else {
            return Result(-1);
        }
    }
    return function(args...);
}

// Set by handles::initialise(): hooks record only once the baseline of inherited fds is in the table
// (and not at all when the core does not track handles and so never calls initialise).
bool handleTrackingEnabled() noexcept;

// True when this hook call should touch the table: outermost guard on this thread, tracker running.
inline bool shouldRecord(const ReentryGuard& guard) noexcept {
    return guard.owns() && trackerActive() && handleTrackingEnabled();
}

// Stamps entry (fd set by the caller) with sequence, thread and the caller's stack and records it.
[[gnu::always_inline]] inline void recordHandle(HandleEntry& entry) noexcept {
    entry.sequence = nextSequence();
    entry.thread_id = currentThreadId();
    entry.stack_id = captureStack();
    handleTable().recordOpened(entry);
}

// Records the fd a real call just returned (nothing when it failed, fd < 0): `describe(entry)` fills
// the kind and details. Called after the real function, never around it, so that blocking calls
// (accept, open of a FIFO) do not hold the recursion guard and libc's allocations inside the real call
// (fopen's FILE, opendir's DIR) are tracked like any other.
template <typename Describe>
[[gnu::always_inline]] inline void recordNewFd(int fd, Describe&& describe) noexcept {
    ReentryGuard guard;
    if (fd < 0 || !shouldRecord(guard)) return;
    HandleEntry entry;
    entry.fd = fd;
    describe(entry);
    recordHandle(entry);
}

// What a closing hook does with the fd it is about to close.
enum class CloseAction {
    PassThrough,    // not recording (the tracker's own close, or tracking off): just call the real close
    NotYours,       // a tracker fd: not closed, the program gets EBADF (it never owned the number)
    Track,          // close it and account for it
};

// Before the real close. Tracker fds are never closed: daemons close every fd from 3 to 1023, and the
// tracker's fds must survive that. They sit at numbers the program never got (TrackerFds.h), so it is
// told what a plain run would say about a number that is not open: EBADF. A close is never pretended.
// Otherwise a live record is taken out now (see HandleTable::takeForClose for why before, not after).
inline CloseAction beginClose(int fd, TakenHandle& taken) noexcept {
    ReentryGuard guard;
    if (!shouldRecord(guard)) return CloseAction::PassThrough;
    if (isTrackerFd(fd)) return CloseAction::NotYours;
    if (fd >= 0) taken = handleTable().takeLiveForClose(fd);
    return CloseAction::Track;
}

// After the real close of fd returned `result` with errno `error`. Any result but EBADF means the fd is
// gone (Linux releases the fd even when close reports EINTR or EIO). EBADF closed nothing, and what the
// hooks knew of the number says what it was (docs/handles.md, "Bad closes"):
//   - a negative fd names no file (dash calls close(-1) in every `system()`): invalid_fd_close;
//   - an fd this process closed and nobody reopened: double_close;
//   - an fd this process held (live in the table, or gone behind the hooks' back): bad_close;
//   - an fd never held (not inherited, never opened, never closed): unopened_fd_close — a daemon's sweep
//     over every fd number, which valgrind does not report either.
// The first and the last are informational in reports and not counted in `bad_closes`.
[[gnu::always_inline]] inline void finishClose(int fd, const TakenHandle& taken, int result, int error) noexcept {
    const bool released = result == 0 || error != EBADF;
    ReentryGuard guard;
    if (!guard.owns()) return;
    if (fd >= 0) handleTable().finishClose(fd, taken, released);
    if (released) return;
    const auto value = static_cast<uint64_t>(static_cast<int64_t>(fd));
    if (fd < 0) {
        recordEvent(snapshot::EventKind::InvalidFdClose, value, 0, captureStack());
        return;
    }
    if (taken.previous == SlotState::NeverSeen) {
        recordEvent(snapshot::EventKind::UnopenedFdClose, value, 0, captureStack());
        return;
    }
    const auto kind = taken.previous == SlotState::Closed ? snapshot::EventKind::DoubleClose
                                                          : snapshot::EventKind::BadClose;
    handleTable().countBadClose();
    recordEvent(kind, value, 0, captureStack());
}

}  // namespace leakscope::preload::handles
