// Interposed stdio and directory-stream calls that open fds: fopen, fopen64, freopen, freopen64,
// opendir, and the ones that wrap an existing fd: fdopen, fdopendir.
//
// glibc's fopen and opendir open their fd with internal calls that never reach our open hook, so the
// stream functions themselves are hooked and the fd is read back from the result (fileno, dirfd).
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

#include "handles/HandleDescriptions.h"
#include "hooks/HookSupport.h"

namespace leakscope::preload::handles {
namespace {

constinit RealFunction<decltype(&::fopen)> realFopen("fopen");
constinit RealFunction<decltype(&::fopen64)> realFopen64("fopen64");
constinit RealFunction<decltype(&::freopen)> realFreopen("freopen");
constinit RealFunction<decltype(&::freopen64)> realFreopen64("freopen64");
constinit RealFunction<decltype(&::fdopen)> realFdopen("fdopen");
// Spelled out: decltype would carry glibc's nonnull attribute, which template arguments drop (warning).
constinit RealFunction<DIR* (*)(const char*)> realOpendir("opendir");
constinit RealFunction<decltype(&::fdopendir)> realFdopendir("fdopendir");

// The open(2) flags an fopen mode string stands for ("r", "w+", "ae", "wx"...), as glibc reads it.
int openFlagsFromMode(const char* mode) noexcept {
    if (!mode) return 0;
    int flags = 0;
    switch (mode[0]) {
        case 'r': flags = O_RDONLY; break;
        case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
        case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
        default: return 0;
    }
    for (const char* option = mode + 1; *option && *option != ','; ++option) {
        if (*option == '+') flags = (flags & ~O_ACCMODE) | O_RDWR;
        if (*option == 'e') flags |= O_CLOEXEC;
        if (*option == 'x') flags |= O_EXCL;
    }
    return flags;
}

// Records the fd behind a stream the real call opened. `path` may be null (freopen(NULL, ...)
// reopens the same file): then the /proc link target names it.
[[gnu::always_inline]] inline FILE* recordStream(FILE* stream, const char* path, const char* mode) noexcept {
    if (!stream) return stream;
    ErrnoKeeper keep;
    const int fd = fileno(stream);
    recordNewFd(fd, [&](HandleEntry& entry) {
        char target[kHandlePathCapacity];
        describeFile(entry, path, openFlagsFromMode(mode), 0666);
        if (!path) entry.setPath(target, readFdTarget(fd, target, sizeof(target)));
        entry.flags |= snapshot::kHandleStdio;
    });
    return stream;
}

// freopen closes the stream's current fd whatever happens next (on failure the stream is closed),
// so the record goes before the real call, like close's.
void takeStreamFd(FILE* stream) noexcept {
    if (!stream) return;
    ReentryGuard guard;
    const int fd = fileno(stream);
    if (fd >= 0 && shouldRecord(guard)) handleTable().takeForClose(fd);
}

// fdopen/fdopendir wrap an fd that is already open (and already recorded): they mark it as a stream.
void markStream(int fd, snapshot::HandleKind new_kind) noexcept {
    ErrnoKeeper keep;
    ReentryGuard guard;
    if (fd >= 0 && shouldRecord(guard)) handleTable().updateLive(fd, snapshot::kHandleStdio, 0, new_kind);
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;
using leakscope::snapshot::HandleKind;

LEAKSCOPE_EXPORT FILE* fopen(const char* path, const char* mode) {
    return recordStream(callReal(realFopen, path, mode), path, mode);
}

LEAKSCOPE_EXPORT FILE* fopen64(const char* path, const char* mode) {
    return recordStream(callReal(realFopen64, path, mode), path, mode);
}

LEAKSCOPE_EXPORT FILE* freopen(const char* path, const char* mode, FILE* stream) {
    takeStreamFd(stream);
    return recordStream(callReal(realFreopen, path, mode, stream), path, mode);
}

LEAKSCOPE_EXPORT FILE* freopen64(const char* path, const char* mode, FILE* stream) {
    takeStreamFd(stream);
    return recordStream(callReal(realFreopen64, path, mode, stream), path, mode);
}

LEAKSCOPE_EXPORT FILE* fdopen(int fd, const char* mode) {
    FILE* stream = callReal(realFdopen, fd, mode);
    if (stream) markStream(fd, HandleKind::Unknown);  // Unknown: keep the kind the fd already has
    return stream;
}

LEAKSCOPE_EXPORT DIR* opendir(const char* path) {
    DIR* directory = callReal(realOpendir, path);
    if (!directory) return directory;
    ErrnoKeeper keep;
    recordNewFd(dirfd(directory), [&](HandleEntry& entry) {
        entry.kind = HandleKind::Directory;
        entry.detail_a = O_RDONLY | O_DIRECTORY | O_CLOEXEC;  // what glibc's opendir opens with
        entry.setPath(path);
        entry.flags |= leakscope::snapshot::kHandleStdio | leakscope::snapshot::kHandleCloexec;
    });
    return directory;
}

LEAKSCOPE_EXPORT DIR* fdopendir(int fd) {
    DIR* directory = callReal(realFdopendir, fd);
    if (directory) markStream(fd, HandleKind::Directory);
    return directory;
}
