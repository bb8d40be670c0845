// Snapshot triggers other than exit: the external request signal and the interval thread. (The API
// functions leakscope_preload_snapshot/leakscope_preload_active are exported from Triggers.cpp too.)
#pragma once

#include <csignal>

namespace leakscope::preload::triggers {

// Installs the request signal handler (only when the program has none for that signal), the crash
// handlers, and starts the tool thread (snapshot requests, LEAKSCOPE_INTERVAL_MS). Called once by
// the constructor.
void install() noexcept;

// The crash snapshot: handlers for the fatal signals that still have their default action
// (TriggersCrash.cpp). Called by install().
void installCrashHandlers() noexcept;
// True for the crash handler: sigaction() reports it to the program as the default action it replaced.
bool isCrashHandler(const struct sigaction& action) noexcept;

// fork() child: threads do not survive fork, so the tool thread is started again.
void restartInChild() noexcept;

// Around a call that needs a single-threaded process (unshare(CLONE_NEWUSER), setns): the tool
// thread is stopped and joined, then started again. Only on the program's own thread, not in a
// signal handler.
void pauseToolThread() noexcept;
void resumeToolThread() noexcept;

// Right before the program installs a seccomp filter (TriggersSandbox.cpp): stops the tool thread,
// writes the `sandbox` snapshot, and turns every later snapshot off. sandboxNotEntered() undoes it
// when the filter could not be installed.
void enterSandbox() noexcept;
void sandboxNotEntered() noexcept;
// At start: true when the process already runs under a seccomp filter it inherited (a parent
// installed it before exec, systemd's SystemCallFilter=). Reads /proc/self/status with the loader's
// own calls (openat, read, close); no message, no other effect.
bool inheritedSeccompFilter() noexcept;
// Such a process is not tracked (the default, LEAKSCOPE_SECCOMP=skip): every snapshot off, as after
// enterSandbox.
void stayOutOfInheritedSandbox() noexcept;

}  // namespace leakscope::preload::triggers
