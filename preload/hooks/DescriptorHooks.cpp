// Interposed calls that create handles other than files: sockets (socket, socketpair, accept, accept4),
// pipes (pipe, pipe2), and the Linux special fds (eventfd, epoll_create, epoll_create1, timerfd_create,
// signalfd, inotify_init, inotify_init1, memfd_create).
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "handles/HandleDescriptions.h"
#include "hooks/HookSupport.h"

namespace leakscope::preload::handles {
namespace {

constinit RealFunction<decltype(&::socket)> realSocket("socket");
constinit RealFunction<decltype(&::socketpair)> realSocketPair("socketpair");
constinit RealFunction<decltype(&::accept)> realAccept("accept");
constinit RealFunction<decltype(&::accept4)> realAccept4("accept4");
constinit RealFunction<decltype(&::pipe)> realPipe("pipe");
constinit RealFunction<decltype(&::pipe2)> realPipe2("pipe2");
constinit RealFunction<decltype(&::eventfd)> realEventFd("eventfd");
constinit RealFunction<decltype(&::epoll_create)> realEpollCreate("epoll_create");
constinit RealFunction<decltype(&::epoll_create1)> realEpollCreate1("epoll_create1");
constinit RealFunction<decltype(&::timerfd_create)> realTimerFdCreate("timerfd_create");
// Spelled out: decltype would carry glibc's nonnull attribute, which template arguments drop (warning).
constinit RealFunction<int (*)(int, const sigset_t*, int)> realSignalFd("signalfd");
constinit RealFunction<decltype(&::inotify_init)> realInotifyInit("inotify_init");
constinit RealFunction<decltype(&::inotify_init1)> realInotifyInit1("inotify_init1");
constinit RealFunction<decltype(&::memfd_create)> realMemfdCreate("memfd_create");

// A handle whose details are just the creating call's flags (eventfd, epoll, timerfd, signalfd,
// inotify): kind, flags in detail_a, an extra argument in detail_b; `cloexec_flag` is the call's own
// spelling of close-on-exec (EFD_CLOEXEC, EPOLL_CLOEXEC...).
[[gnu::always_inline]] inline int recordFlagged(int fd, snapshot::HandleKind kind, int flags, int cloexec_flag,
                                                int extra = 0) noexcept {
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) {
        entry.kind = kind;
        entry.detail_a = flags;
        entry.detail_b = extra;
        if (flags & cloexec_flag) entry.flags |= snapshot::kHandleCloexec;
    });
    return fd;
}

// socketpair and pipe make two handles with one call: one stack, two records, each naming its peer.
[[gnu::always_inline]] inline void recordPair(const int fds[2], HandleEntry& first, HandleEntry& second) noexcept {
    ReentryGuard guard;
    if (!shouldRecord(guard)) return;
    const uint32_t stack_id = captureStack();
    const uint32_t thread_id = currentThreadId();
    HandleEntry* entries[2] = {&first, &second};
    for (int end = 0; end < 2; ++end) {
        HandleEntry& entry = *entries[end];
        entry.fd = fds[end];
        entry.sequence = nextSequence();
        entry.thread_id = thread_id;
        entry.stack_id = stack_id;
        handleTable().recordOpened(entry);
    }
}

[[gnu::always_inline]] inline int recordAccepted(int fd, int flags) noexcept {
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) {
        describeSocketFromKernel(entry, fd);
        entry.flags |= snapshot::kHandleAccepted;
        if (flags & SOCK_CLOEXEC) entry.flags |= snapshot::kHandleCloexec;
    });
    return fd;
}

[[gnu::always_inline]] inline int recordPipe(int result, const int fds[2], int flags) noexcept {
    if (result != 0) return result;
    ErrnoKeeper keep;
    HandleEntry read_end, write_end;
    read_end.kind = snapshot::HandleKind::PipeRead;
    write_end.kind = snapshot::HandleKind::PipeWrite;
    read_end.detail_a = write_end.detail_a = flags;
    read_end.detail_b = fds[1];
    write_end.detail_b = fds[0];
    if (flags & O_CLOEXEC) read_end.flags = write_end.flags = snapshot::kHandleCloexec;
    recordPair(fds, read_end, write_end);
    return result;
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;
using leakscope::snapshot::HandleKind;

LEAKSCOPE_EXPORT int socket(int domain, int type, int protocol) {
    const int fd = callReal(realSocket, domain, type, protocol);
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) { describeSocket(entry, domain, type, protocol); });
    return fd;
}

LEAKSCOPE_EXPORT int socketpair(int domain, int type, int protocol, int fds[2]) {
    const int result = callReal(realSocketPair, domain, type, protocol, fds);
    if (result != 0) return result;
    ErrnoKeeper keep;
    HandleEntry first, second;
    describeSocket(first, domain, type, protocol);
    first.flags |= leakscope::snapshot::kHandleSocketPair;
    second = first;
    recordPair(fds, first, second);
    return result;
}

LEAKSCOPE_EXPORT int accept(int listening_fd, sockaddr* address, socklen_t* address_length) {
    return recordAccepted(callReal(realAccept, listening_fd, address, address_length), 0);
}

LEAKSCOPE_EXPORT int accept4(int listening_fd, sockaddr* address, socklen_t* address_length, int flags) {
    return recordAccepted(callReal(realAccept4, listening_fd, address, address_length, flags), flags);
}

LEAKSCOPE_EXPORT int pipe(int fds[2]) {
    const int result = callReal(realPipe, fds);
    return recordPipe(result, fds, 0);
}

LEAKSCOPE_EXPORT int pipe2(int fds[2], int flags) {
    const int result = callReal(realPipe2, fds, flags);
    return recordPipe(result, fds, flags);
}

LEAKSCOPE_EXPORT int eventfd(unsigned int initial_value, int flags) {
    return recordFlagged(callReal(realEventFd, initial_value, flags), HandleKind::EventFd, flags, EFD_CLOEXEC,
                         static_cast<int>(initial_value));
}

LEAKSCOPE_EXPORT int epoll_create(int size) {
    return recordFlagged(callReal(realEpollCreate, size), HandleKind::Epoll, 0, EPOLL_CLOEXEC, size);
}

LEAKSCOPE_EXPORT int epoll_create1(int flags) {
    return recordFlagged(callReal(realEpollCreate1, flags), HandleKind::Epoll, flags, EPOLL_CLOEXEC);
}

LEAKSCOPE_EXPORT int timerfd_create(int clock_id, int flags) {
    return recordFlagged(callReal(realTimerFdCreate, clock_id, flags), HandleKind::TimerFd, flags, TFD_CLOEXEC,
                         clock_id);
}

// signalfd(fd >= 0, ...) changes the mask of an existing signalfd and creates nothing.
LEAKSCOPE_EXPORT int signalfd(int fd, const sigset_t* mask, int flags) {
    const int result = callReal(realSignalFd, fd, mask, flags);
    if (fd != -1) return result;
    return recordFlagged(result, HandleKind::SignalFd, flags, SFD_CLOEXEC);
}

LEAKSCOPE_EXPORT int inotify_init(void) {
    return recordFlagged(callReal(realInotifyInit), HandleKind::Inotify, 0, IN_CLOEXEC);
}

LEAKSCOPE_EXPORT int inotify_init1(int flags) {
    return recordFlagged(callReal(realInotifyInit1, flags), HandleKind::Inotify, flags, IN_CLOEXEC);
}

LEAKSCOPE_EXPORT int memfd_create(const char* name, unsigned int flags) {
    const int fd = callReal(realMemfdCreate, name, flags);
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) {
        entry.kind = HandleKind::MemFd;
        entry.detail_a = static_cast<int>(flags);
        entry.setPath(name);
        if (flags & MFD_CLOEXEC) entry.flags |= leakscope::snapshot::kHandleCloexec;
    });
    return fd;
}
