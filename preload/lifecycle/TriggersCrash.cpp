// The crash trigger: a final snapshot when the process is about to die of a signal, after which the
// signal does exactly what it would have done (same wait status, same core dump).
//
// Installed at start only for signals whose disposition is still the default (a program's own
// handler always keeps priority: it replaces ours when installed later, and one present at start is
// left alone). The handler is SA_RESETHAND, so the disposition is the default again the moment it
// runs; a fault (si_code > 0: the faulting instruction runs again when the handler returns) then
// kills the process as before, and a sent signal (kill, raise, abort) is raised again and delivered
// when the handler returns, since it stays blocked while the handler runs.
#include <cerrno>
#include <csignal>
#include <unistd.h>

#include "lifecycle/Triggers.h"
#include "tracker/ThreadState.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

// Signals whose default action ends the process and that programs commonly die of.
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTERM, SIGQUIT};

void onFatalSignal(int signal_number, siginfo_t* info, void*) {
    int saved_errno = errno;
    // Interrupted inside the tracker (or the fault is the tracker's own): its locks may be held by
    // the frame beneath us, so no snapshot; the death itself is unchanged.
    if (!threadInsideTracker()) takeSnapshot("crash", snapshot::Trigger::Crash);
    if (info == nullptr || info->si_code <= 0) raise(signal_number);
    errno = saved_errno;
}

}  // namespace

namespace triggers {

bool isCrashHandler(const struct sigaction& action) noexcept {
    return (action.sa_flags & SA_SIGINFO) && action.sa_sigaction == onFatalSignal;
}

void installCrashHandlers() noexcept {
    for (int signal_number : kFatalSignals) {
        struct sigaction current {};
        if (sigaction(signal_number, nullptr, &current) != 0) continue;
        if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) continue;  // the program's
        struct sigaction handler {};
        handler.sa_sigaction = onFatalSignal;
        handler.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_RESTART | SA_ONSTACK;
        sigemptyset(&handler.sa_mask);
        sigaction(signal_number, &handler, nullptr);
    }
}

}  // namespace triggers
}  // namespace leakscope::preload
