// Fills the kind and details of a HandleEntry: from a hook's arguments (socket(AF_INET, SOCK_DGRAM, 0))
// or, for fds no hook saw open (inherited at start, found in /proc/self/fd), from the kernel (the
// /proc/self/fd link target, getsockopt, fstat, F_GETFL). Raw syscalls only: these run inside hooks and
// inside the snapshot writer, where calling a hooked function would recurse.
#pragma once

#include <cstddef>

#include "tables/HandleTable.h"

namespace leakscope::preload::handles {

// Socket details from socket()/socketpair() arguments: domain, type without SOCK_CLOEXEC/SOCK_NONBLOCK,
// protocol; SOCK_CLOEXEC becomes the cloexec flag.
void describeSocket(HandleEntry& entry, int domain, int type, int protocol) noexcept;

// Socket details asked from the kernel (SO_DOMAIN, SO_TYPE, SO_PROTOCOL): accepted and inherited sockets.
void describeSocketFromKernel(HandleEntry& entry, int fd) noexcept;

// A file from open()/openat()/creat()/fopen(): path as given, open flags, mode; O_CLOEXEC -> cloexec.
void describeFile(HandleEntry& entry, const char* path, int flags, int mode) noexcept;

// Kind, details, path and cloexec flag of an fd no hook saw open, from its /proc/self/fd link target.
void describeFromKernel(HandleEntry& entry, int fd, const char* target, size_t target_length) noexcept;

// readlink("/proc/self/fd/<fd>") into buffer (not NUL-terminated); returns the length, 0 on failure.
size_t readFdTarget(int fd, char* buffer, size_t capacity) noexcept;

// FD_CLOEXEC of fd as the kernel has it (raw fcntl: never through the hook).
bool kernelCloexec(int fd) noexcept;

}  // namespace leakscope::preload::handles
