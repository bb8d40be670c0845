// What `leakscope attach` needs to know about a running process before it touches it, read from
// /proc/PID and the process's own ELF files (through /proc/PID/root, so a process in a container
// is read in its own file system). Nothing here stops or changes the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leakscope::analyzer::attach {

// One mapped ELF file: its path as the process sees it, and its load bias (address of its first
// byte minus the first PT_LOAD's page-aligned virtual address).
struct MappedFile {
    std::string path;
    uint64_t bias = 0;
};

// Why the process cannot be attached, as one line without the "leakscope: attach:" prefix; empty
// when it can. Checks: it exists, it is a 64-bit x86-64 program, it is dynamically linked (libc.so
// mapped), it is not already running under the preload.
std::string unattachableReason(pid_t pid);

// The first mapping whose file name starts with `file_prefix` ("libc.so", "libleakscope-attach").
std::optional<MappedFile> findMappedFile(pid_t pid, const std::string& file_prefix);

// Address ranges [start, end) of every mapping of the file whose name starts with `file_prefix`.
std::vector<std::pair<uint64_t, uint64_t>> mappedRanges(pid_t pid, const std::string& file_prefix);

// Address in the process of the function `name` defined in `file`'s .dynsym, or 0.
uint64_t functionAddress(pid_t pid, const MappedFile& file, const std::string& name);

// The process's threads, the most suitable one to borrow first (see PtraceInjector.h).
std::vector<pid_t> threadsByPreference(pid_t pid);

// "the thread is in a system call that returns EINTR when a tracer stops it" (epoll_wait, ...).
bool inInterruptibleWait(pid_t pid, pid_t thread);

// The owner's uid of /proc/PID, or -1.
long processUid(pid_t pid);

// The fields of a /proc/PID/stat (or task/TID/stat) line after the command name: [0] is proc(5)'s
// field 3 (the state letter), [19] field 22 (the start time). Empty when the line has no "(name)".
std::vector<std::string> statFields(const std::string& line);

// Field 3 of /proc/PID/stat, the state letter (proc(5): R, S, D, T stopped, t tracing stop, Z zombie...);
// '?' when unreadable.
char processState(pid_t pid);

// Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, names one process.
uint64_t processStartTicks(pid_t pid);

// The first line of a (/proc) file, "" when unreadable.
std::string firstLineOf(const std::string& path);

// The short command name (/proc/PID/comm).
std::string processName(pid_t pid);

}  // namespace leakscope::analyzer::attach
