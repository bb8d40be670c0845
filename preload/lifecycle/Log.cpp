// Allocation-free stderr logger (see Log.h for why not spdlog), silent once fd 2 is no longer the
// stderr the process started with.
#include "lifecycle/Log.h"

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leakscope::preload {
namespace {
std::atomic<int> gLevel{static_cast<int>(LogLevel::Warn)};

// What fd 2 was when the process started. Messages go to fd 2 only while it still is that file: once a
// program closed its stderr and fd 2 became its data file (or anything else), the tool stays silent
// rather than write into it. Not a kept dup of stderr: holding one would keep a pipe the program closed
// open (a reader waiting for its EOF would hang) and cost the program an fd when it uses them all.
struct FileIdentity {
    bool taken = false;  // before rememberStartingStderr() fd 2 is still the starting one
    bool known = false;
    dev_t device = 0;
    ino_t inode = 0;
};
FileIdentity gStartingStderr;

bool fstatStderr(struct stat* status) noexcept { return syscall(SYS_fstat, STDERR_FILENO, status) == 0; }

bool stderrIsStillTheStartingOne() noexcept {
    if (!gStartingStderr.taken) return true;
    struct stat status {};
    return gStartingStderr.known && fstatStderr(&status) && status.st_dev == gStartingStderr.device &&
           status.st_ino == gStartingStderr.inode;
}
}  // namespace

void rememberStartingStderr() noexcept {
    struct stat status {};
    if (fstatStderr(&status)) {
        gStartingStderr.device = status.st_dev;
        gStartingStderr.inode = status.st_ino;
        gStartingStderr.known = true;
    }
    gStartingStderr.taken = true;
}

void setLogLevel(LogLevel level) noexcept { gLevel.store(static_cast<int>(level), std::memory_order_relaxed); }

bool logEnabled(LogLevel level) noexcept {
    return level != LogLevel::Off && static_cast<int>(level) <= gLevel.load(std::memory_order_relaxed);
}

void logMessage(LogLevel level, const char* format, ...) noexcept {
    if (!logEnabled(level)) return;
    int saved_errno = errno;  // logging must never change what the program sees
    if (!stderrIsStillTheStartingOne()) {
        errno = saved_errno;
        return;
    }
    char line[1024];
    constexpr char kPrefix[] = "leakscope: ";
    size_t used = sizeof(kPrefix) - 1;
    std::memcpy(line, kPrefix, used);
    va_list arguments;
    va_start(arguments, format);
    int wrote = vsnprintf(line + used, sizeof(line) - used - 1, format, arguments);
    va_end(arguments);
    if (wrote > 0) used += static_cast<size_t>(wrote) < sizeof(line) - used - 1 ? static_cast<size_t>(wrote)
                                                                                 : sizeof(line) - used - 2;
    line[used++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, used);
    (void)ignored;
    errno = saved_errno;
}

}  // namespace leakscope::preload
