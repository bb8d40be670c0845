// The fds the tracker itself keeps open for the life of the process, kept out of the program's way.
//
// libunwind opens a pipe when it initialises (it validates addresses by write()ing from them). It does
// so from inside our constructor, so without care that pipe takes fds 3 and 4 and every fd the program
// opens is two higher than without the tool: a changed program, and a changed output wherever it
// prints an fd. So while the tracker runs its own code (TrackerOwnCodeScope), the pipe hooks move
// what they create to the top of the fd range and register it here; close() and dup2() then spare it
// and the /proc reconciliation does not list it.
#pragma once

namespace leakscope::preload {

// Marks the calling thread as running the tracker's own code (libunwind's initialisation and walks).
class TrackerOwnCodeScope {
public:
    TrackerOwnCodeScope() noexcept;
    ~TrackerOwnCodeScope();
    TrackerOwnCodeScope(const TrackerOwnCodeScope&) = delete;
    TrackerOwnCodeScope& operator=(const TrackerOwnCodeScope&) = delete;

private:
    bool outer_;
};

bool insideTrackerOwnCode() noexcept;

// Moves `fd` to a free number near the top of the process's fd limit (close-on-exec), closes the
// original and registers the new one as the tracker's. Returns the new fd; on failure (no free high
// fd, the registry full) the original fd stays as it was and is still registered when possible.
int relocateTrackerFd(int fd) noexcept;

// True for an fd relocateTrackerFd registered (and not released since).
bool isPersistentTrackerFd(int fd) noexcept;

}  // namespace leakscope::preload
