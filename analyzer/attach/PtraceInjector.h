// Loads a library into a running process and calls its attach entry, with ptrace (x86-64 Linux).
// One thread is borrowed: PTRACE_SEIZE + PTRACE_INTERRUPT stop it alone (the process's other threads
// run on), its registers, extended (SSE/AVX) state and signal mask are saved, and it is made to call
// __errno_location, dlopen(library, RTLD_NOW), dlsym(handle, entry) and entry(settings), each
// returning to address 0, whose fault stops it again; then everything is restored, errno included,
// and the thread is detached. A system call it was blocked in is restarted by the kernel as after
// any stop. No wait blocks past its deadline: a thread that reaches no safe point within 1 s is let go
// untouched and the next one tried; calls that do not return within 10 s are abandoned, registers put
// back (`error` says which). docs/attach.md gives the reasons for this over gdb.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace leakscope::analyzer::attach {

struct InjectionRequest {
    pid_t pid = 0;
    std::string library;      // absolute path, as the process can open it
    std::string entry;        // exported function: int entry(const char* settings)
    std::string settings;     // its argument
};

struct InjectionResult {
    bool ok = false;           // the entry was called; `status` is its return value
    int status = -1;
    std::string error;         // one line when !ok (no "leakscope:" prefix)
    pid_t thread = 0;          // the borrowed thread
    uint64_t stopped_us = 0;   // how long that thread was stopped, interrupt to detach
};

InjectionResult injectAndCall(const InjectionRequest& request);

// Why ptrace may not attach to `pid` (EPERM), as one line that says how to allow it.
std::string notPermittedReason(pid_t pid);

}  // namespace leakscope::analyzer::attach
