// Diagnostics of the preload: one line per message on stderr ("leakscope: ..."), never stdout.
//
// Not spdlog, on purpose: messages are emitted from the first hook call, from exit and _exit paths
// after the C++ runtime has destroyed its statics, from forked children and from signal-deferred
// snapshots. Messages go to fd 2 only while fd 2 is still the file the process started with (same
// device and inode); otherwise they are dropped, never written into what the program put there. spdlog's registry, its mutexes and its allocations are not usable there; this logger
// formats into a stack buffer and issues one write(2), so it allocates nothing and cannot deadlock.
#pragma once

namespace leakscope::preload {

enum class LogLevel : int { Off = 0, Error = 1, Warn = 2, Info = 3, Debug = 4 };

// Takes fd 2's identity; called once from the preload's constructor (loadConfig), before the program's
// own code runs. Until then messages go to fd 2 unconditionally.
void rememberStartingStderr() noexcept;

void setLogLevel(LogLevel level) noexcept;
bool logEnabled(LogLevel level) noexcept;
// printf-style; the line is cut at 1 KiB and gets its "leakscope: " prefix and newline here.
void logMessage(LogLevel level, const char* format, ...) noexcept __attribute__((format(printf, 2, 3)));

}  // namespace leakscope::preload
