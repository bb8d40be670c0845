#include "handles/HandleDescriptions.h"
#include "lifecycle/FdTableCopy.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

namespace leakscope::preload::handles {

using snapshot::HandleKind;

namespace {

long rawFcntl(int fd, int command) noexcept { return syscall(SYS_fcntl, fd, command, 0); }

int socketOption(int fd, int option) noexcept {
    int value = 0;
    socklen_t length = sizeof(value);
    return getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 ? value : -1;
}

// The kinds the kernel names in an anonymous inode's link target ("anon_inode:[eventfd]").
struct AnonymousInodeKind {
    std::string_view target;
    HandleKind kind;
};
constexpr AnonymousInodeKind kAnonymousInodeKinds[] = {
    {"anon_inode:[eventfd]", HandleKind::EventFd},   {"anon_inode:[eventpoll]", HandleKind::Epoll},
    {"anon_inode:[timerfd]", HandleKind::TimerFd},   {"anon_inode:[signalfd]", HandleKind::SignalFd},
    {"anon_inode:inotify", HandleKind::Inotify},
};

constexpr std::string_view kMemfdPrefix = "/memfd:";
constexpr std::string_view kDeletedSuffix = " (deleted)";

}  // namespace

void describeSocket(HandleEntry& entry, int domain, int type, int protocol) noexcept {
    entry.kind = HandleKind::Socket;
    entry.detail_a = domain;
    entry.detail_b = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
    entry.detail_c = protocol;
    if (type & SOCK_CLOEXEC) entry.flags |= snapshot::kHandleCloexec;
}

void describeSocketFromKernel(HandleEntry& entry, int fd) noexcept {
    entry.kind = HandleKind::Socket;
    entry.detail_a = socketOption(fd, SO_DOMAIN);
    entry.detail_b = socketOption(fd, SO_TYPE);
    entry.detail_c = socketOption(fd, SO_PROTOCOL);
}

void describeFile(HandleEntry& entry, const char* path, int flags, int mode) noexcept {
    entry.kind = HandleKind::File;  // even with O_DIRECTORY: "directory" means a DIR* (opendir)
    entry.detail_a = flags;
    entry.detail_b = mode;
    entry.setPath(path);
    if (flags & O_CLOEXEC) entry.flags |= snapshot::kHandleCloexec;
}

void describeFromKernel(HandleEntry& entry, int fd, const char* target, size_t target_length) noexcept {
    const std::string_view link(target, target_length);
    entry.setPath(target, target_length);
    if (kernelCloexec(fd)) entry.flags |= snapshot::kHandleCloexec;
    if (link.starts_with("socket:[")) {
        describeSocketFromKernel(entry, fd);
        return;
    }
    if (link.starts_with("pipe:[")) {
        const long status = rawFcntl(fd, F_GETFL);
        entry.kind = (status >= 0 && (status & O_ACCMODE) == O_RDONLY) ? HandleKind::PipeRead : HandleKind::PipeWrite;
        entry.detail_b = -1;  // the peer is not known for a pipe no hook saw created
        return;
    }
    for (const auto& anonymous : kAnonymousInodeKinds) {
        if (link == anonymous.target) {
            entry.kind = anonymous.kind;
            entry.detail_a = static_cast<int32_t>(rawFcntl(fd, F_GETFL));
            return;
        }
    }
    if (link.starts_with(kMemfdPrefix)) {
        std::string_view name = link.substr(kMemfdPrefix.size());
        if (name.ends_with(kDeletedSuffix)) name.remove_suffix(kDeletedSuffix.size());
        entry.kind = HandleKind::MemFd;
        entry.setPath(name.data(), name.size());
        return;
    }
    struct stat status {};
    const bool is_directory = fstat(fd, &status) == 0 && S_ISDIR(status.st_mode);
    entry.kind = is_directory ? HandleKind::Directory : (link.starts_with("/") ? HandleKind::File : HandleKind::Unknown);
    entry.detail_a = static_cast<int32_t>(rawFcntl(fd, F_GETFL));
}

size_t readFdTarget(int fd, char* buffer, size_t capacity) noexcept {
    // The program's table (lifecycle/FdTableCopy.h): on the snapshot helper the waiting thread's, whose
    // fds the helper's copy may no longer match. Built by hand: snprintf may allocate (locale) in a hook.
    char link_path[64];
    if (!programFdPath(fd, link_path, sizeof(link_path))) return 0;
    const ssize_t read = readlink(link_path, buffer, capacity);
    return read > 0 ? static_cast<size_t>(read) : 0;
}

bool kernelCloexec(int fd) noexcept {
    const long descriptor_flags = rawFcntl(fd, F_GETFD);
    return descriptor_flags >= 0 && (descriptor_flags & FD_CLOEXEC);
}

}  // namespace leakscope::preload::handles
