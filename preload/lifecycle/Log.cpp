// Allocation-free stderr logger (see Log.h for why not spdlog).
#include "lifecycle/Log.h"

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace leakscope::preload {
namespace {
std::atomic<int> gLevel{static_cast<int>(LogLevel::Warn)};
}

void setLogLevel(LogLevel level) noexcept { gLevel.store(static_cast<int>(level), std::memory_order_relaxed); }

bool logEnabled(LogLevel level) noexcept {
    return level != LogLevel::Off && static_cast<int>(level) <= gLevel.load(std::memory_order_relaxed);
}

void logMessage(LogLevel level, const char* format, ...) noexcept {
    if (!logEnabled(level)) return;
    int saved_errno = errno;  // logging must never change what the program sees
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
