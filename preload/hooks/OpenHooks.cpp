// Interposed open family: open, open64, openat, openat64, creat, creat64 and the checked entry points
// glibc's _FORTIFY_SOURCE headers call instead (__open_2, __open64_2, __openat_2, __openat64_2).
// open and openat are variadic: the mode is read only when the flags say there is one (O_CREAT,
// O_TMPFILE), exactly as glibc does, and passed on to the real function.
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdarg>

#include "handles/HandleDescriptions.h"
#include "hooks/HookSupport.h"

extern "C" {
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int directory_fd, const char* path, int flags);
int __openat64_2(int directory_fd, const char* path, int flags);
}

namespace leakscope::preload::handles {
namespace {

using OpenFunction = int (*)(const char*, int, ...);
using OpenAtFunction = int (*)(int, const char*, int, ...);
using CreatFunction = int (*)(const char*, mode_t);
using CheckedOpenFunction = int (*)(const char*, int);
using CheckedOpenAtFunction = int (*)(int, const char*, int);

constinit RealFunction<OpenFunction> realOpen("open");
constinit RealFunction<OpenFunction> realOpen64("open64");
constinit RealFunction<OpenAtFunction> realOpenAt("openat");
constinit RealFunction<OpenAtFunction> realOpenAt64("openat64");
constinit RealFunction<CreatFunction> realCreat("creat");
constinit RealFunction<CreatFunction> realCreat64("creat64");
constinit RealFunction<CheckedOpenFunction> realCheckedOpen("__open_2");
constinit RealFunction<CheckedOpenFunction> realCheckedOpen64("__open64_2");
constinit RealFunction<CheckedOpenAtFunction> realCheckedOpenAt("__openat_2");
constinit RealFunction<CheckedOpenAtFunction> realCheckedOpenAt64("__openat64_2");

// The flags for which open's third argument exists (glibc's __OPEN_NEEDS_MODE).
bool openNeedsMode(int flags) noexcept { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

// Records a file the real call opened; `flags` as the program passed them.
[[gnu::always_inline]] inline int recordOpenedFile(int fd, const char* path, int flags, mode_t mode) noexcept {
    ErrnoKeeper keep;
    recordNewFd(fd, [&](HandleEntry& entry) { describeFile(entry, path, flags, static_cast<int>(mode)); });
    return fd;
}

}  // namespace
}  // namespace leakscope::preload::handles

using namespace leakscope::preload;
using namespace leakscope::preload::handles;

// The variadic mode is fetched in the interposed function itself (va_start needs its own frame).
#define LEAKSCOPE_READ_OPEN_MODE(flags, mode)      \
    mode_t mode = 0;                               \
    if (openNeedsMode(flags)) {                    \
        va_list arguments;                         \
        va_start(arguments, flags);                \
        mode = va_arg(arguments, mode_t);          \
        va_end(arguments);                         \
    }

LEAKSCOPE_EXPORT int open(const char* path, int flags, ...) {
    LEAKSCOPE_READ_OPEN_MODE(flags, mode)
    return recordOpenedFile(callReal(realOpen, path, flags, mode), path, flags, mode);
}

LEAKSCOPE_EXPORT int open64(const char* path, int flags, ...) {
    LEAKSCOPE_READ_OPEN_MODE(flags, mode)
    return recordOpenedFile(callReal(realOpen64, path, flags, mode), path, flags, mode);
}

LEAKSCOPE_EXPORT int openat(int directory_fd, const char* path, int flags, ...) {
    LEAKSCOPE_READ_OPEN_MODE(flags, mode)
    return recordOpenedFile(callReal(realOpenAt, directory_fd, path, flags, mode), path, flags, mode);
}

LEAKSCOPE_EXPORT int openat64(int directory_fd, const char* path, int flags, ...) {
    LEAKSCOPE_READ_OPEN_MODE(flags, mode)
    return recordOpenedFile(callReal(realOpenAt64, directory_fd, path, flags, mode), path, flags, mode);
}

// creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
LEAKSCOPE_EXPORT int creat(const char* path, mode_t mode) {
    return recordOpenedFile(callReal(realCreat, path, mode), path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

LEAKSCOPE_EXPORT int creat64(const char* path, mode_t mode) {
    return recordOpenedFile(callReal(realCreat64, path, mode), path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

LEAKSCOPE_EXPORT int __open_2(const char* path, int flags) {
    return recordOpenedFile(callReal(realCheckedOpen, path, flags), path, flags, 0);
}

LEAKSCOPE_EXPORT int __open64_2(const char* path, int flags) {
    return recordOpenedFile(callReal(realCheckedOpen64, path, flags), path, flags, 0);
}

LEAKSCOPE_EXPORT int __openat_2(int directory_fd, const char* path, int flags) {
    return recordOpenedFile(callReal(realCheckedOpenAt, directory_fd, path, flags), path, flags, 0);
}

LEAKSCOPE_EXPORT int __openat64_2(int directory_fd, const char* path, int flags) {
    return recordOpenedFile(callReal(realCheckedOpenAt64, directory_fd, path, flags), path, flags, 0);
}
