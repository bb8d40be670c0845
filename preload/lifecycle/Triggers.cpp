// Snapshot triggers: the public API, the external request (signal + request file) and the interval.
#include "lifecycle/Triggers.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <atomic>
#include <unistd.h>

#include "attach/AttachSession.h"
#include "relocation/OptionalHooks.h"
#include "lifecycle/Config.h"
#include "lifecycle/IntervalSchedule.h"
#include "tracker/ClockNs.h"
#include "lifecycle/Log.h"
#include "tracker/ThreadState.h"
#include "hooks/Export.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"
#include "reachability/ReachabilityScan.h"


namespace leakscope::preload {
namespace {


int requestSignal() noexcept { return config().snap_signal ? config().snap_signal : SIGRTMIN + 7; }

// In the handler: a thread inside the tracker may hold one of its locks, so the snapshot waits for
// the next outermost hook exit; anywhere else the snapshot is taken right here.
void onRequestSignal(int, siginfo_t*, void*) {
    int saved_errno = errno;
    if (threadInsideTracker()) {
        requestDeferredSnapshot();
    } else {
        takeExternalSnapshot();
    }
    errno = saved_errno;
}

void installRequestHandler() noexcept {
    int signal_number = requestSignal();
    struct sigaction current {};
    if (sigaction(signal_number, nullptr, &current) != 0) return;
    bool program_has_handler = (current.sa_flags & SA_SIGINFO) ? current.sa_sigaction != nullptr
                                                               : current.sa_handler != SIG_DFL;
    if (program_has_handler) {
        logMessage(LogLevel::Info, "signal %d already has a handler; external snapshot requests are off",
                   signal_number);
        return;
    }
    struct sigaction handler {};
    handler.sa_sigaction = onRequestSignal;
    handler.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&handler.sa_mask);
    sigaction(signal_number, &handler, nullptr);
}

// The tool thread ("leakscope" in /proc/PID/task/*/comm): it receives snapshot requests, which
// `leakscope snap` sends to it alone with tgkill, so that no program thread is ever interrupted (a
// handler makes poll, epoll_wait, nanosleep... fail with EINTR even under SA_RESTART), and it takes
// the interval snapshots. It is stopped and joined around the calls that need a single-threaded
// process (unshare/setns, see pauseToolThread) and for good when a seccomp filter is installed.
std::atomic<bool> gToolThreadStop{false};
std::atomic<pid_t> gToolThreadId{0};      // its kernel id once it runs
std::atomic<bool> gToolThreadDone{false};  // it has left its loop
pthread_t gToolThread;
bool gToolThreadRunning = false;  // changed only by the thread that starts/stops it (constructor, hooks), or by
                                  // the tool thread itself when an attach session ends (no thread joins it then)

void* toolThreadLoop(void*) {
    int on_this_stack = 0;
    reachability::rememberToolThread(&on_this_stack);  // the tool's stack is never a root of the scan
    gToolThreadId.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
    sigset_t request;
    sigemptyset(&request);
    sigaddset(&request, requestSignal());
    const uint64_t interval_ms = config().interval_ms;
    IntervalSchedule schedule(monotonicNs(), interval_ms * 1000000);
    attach::onToolThreadStart();
    bool session_ended = false;
    while (!gToolThreadStop.load(std::memory_order_acquire)) {
        siginfo_t info;
        int received = -1;
        if (interval_ms == 0) {
            received = sigwaitinfo(&request, &info);
        } else {
            // Until the next tick; a request answered meanwhile does not move it (IntervalSchedule.h).
            while (const uint64_t left = schedule.waitFrom(monotonicNs())) {
                timespec wait{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
                received = sigtimedwait(&request, &info, &wait);
                if (received >= 0 || gToolThreadStop.load(std::memory_order_acquire)) break;
            }
        }
        if (gToolThreadStop.load(std::memory_order_acquire) || exitSnapshotWritten()) break;
        if (received >= 0) {
            takeExternalSnapshot();
        } else if (interval_ms != 0) {
            takeSnapshot("interval", snapshot::Trigger::Interval);
            schedule.tickTaken(monotonicNs());
        }
        relocation::redirectOptionalHooksInNewModules();
        if (attach::onToolThreadWake()) {
            session_ended = true;
            break;
        }
    }
    if (session_ended) {
        // `leakscope attach` ended its session: nobody joins this thread, the next attach starts its own.
        gToolThreadRunning = false;
        pthread_detach(pthread_self());
    }
    gToolThreadDone.store(true, std::memory_order_release);
    return nullptr;
}

void startToolThread() noexcept {
    if (gToolThreadRunning || sandboxed()) return;
    ReentryGuard guard;
    gToolThreadStop.store(false, std::memory_order_release);
    gToolThreadDone.store(false, std::memory_order_release);
    gToolThreadId.store(0, std::memory_order_release);
    // The program's signals are delivered to its own threads, not to ours; the request signal is
    // blocked too: the thread takes it with sigwaitinfo, outside any handler.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    int error = pthread_create(&gToolThread, &attributes, toolThreadLoop, nullptr);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (error != 0) {
        logMessage(LogLevel::Warn, "cannot start the snapshot thread (%s): `leakscope snap` interrupts the program, "
                                   "no interval snapshots", strerror(error));
        return;
    }
    pthread_setname_np(gToolThread, "leakscope");
    gToolThreadRunning = true;
}

void stopToolThread() noexcept {
    if (!gToolThreadRunning) return;
    ReentryGuard guard;
    gToolThreadStop.store(true, std::memory_order_release);
    // Wakes it from its wait until it has seen the flag. It may not have run at all yet (no id): it
    // then sees the flag before it waits.
    while (!gToolThreadDone.load(std::memory_order_acquire)) {
        if (pid_t thread_id = gToolThreadId.load(std::memory_order_acquire))
            syscall(SYS_tgkill, static_cast<pid_t>(getpid()), thread_id, requestSignal());
        timespec pause{0, 1000000};
        nanosleep(&pause, nullptr);
    }
    pthread_join(gToolThread, nullptr);
    gToolThreadRunning = false;
}

}  // namespace

// "<dir><prefix><pid>" (prefix "/.request-": the external request's label file).
bool outputDirPidFile(const char* prefix, char* out, size_t capacity) noexcept {
    char pid_text[24];
    int length = 0;
    for (uint64_t pid = trackedPid(); pid || length == 0; pid /= 10) pid_text[length++] = static_cast<char>('0' + pid % 10);
    const char* directory = config().output_dir;
    size_t directory_length = std::strlen(directory);
    size_t prefix_length = std::strlen(prefix);
    if (directory_length + prefix_length + static_cast<size_t>(length) >= capacity) return false;
    std::memcpy(out, directory, directory_length);
    std::memcpy(out + directory_length, prefix, prefix_length);
    size_t used = directory_length + prefix_length;
    while (length > 0) out[used++] = pid_text[--length];
    out[used] = '\0';
    return true;
}

void takeExternalSnapshot() noexcept {
    ReentryGuard guard;
    char label[snapshot::kLabelCapacity] = "external";
    char path[4200];
    if (outputDirPidFile("/.request-", path, sizeof(path))) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            char text[snapshot::kLabelCapacity] = {};
            ssize_t length = read(fd, text, sizeof(text) - 1);
            close(fd);
            unlink(path);
            // One line of text; trailing whitespace is not part of the label.
            while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r' || text[length - 1] == ' '))
                --length;
            if (length > 0) {
                std::memcpy(label, text, static_cast<size_t>(length));
                label[length] = '\0';
            }
        }
    }
    takeSnapshot(label, snapshot::Trigger::External);
}

namespace triggers {

void install() noexcept {
    installRequestHandler();
    installCrashHandlers();
    startToolThread();
}

void restartInChild() noexcept {
    gToolThreadRunning = false;  // threads do not survive fork
    gToolThreadId.store(0, std::memory_order_relaxed);
    startToolThread();
}

void pauseToolThread() noexcept { stopToolThread(); }
void resumeToolThread() noexcept { startToolThread(); }

}  // namespace triggers
}  // namespace leakscope::preload

LEAKSCOPE_EXPORT void leakscope_preload_snapshot(const char* label) {
    // From a signal handler that interrupted this thread inside the tracker (it may hold a table lock
    // the snapshot needs): deferred to the next safe point instead of waiting for ourselves.
    if (leakscope::preload::threadInsideTracker()) {
        leakscope::preload::requestDeferredApiSnapshot(label ? label : "snapshot");
        return;
    }
    leakscope::preload::takeSnapshot(label ? label : "snapshot", leakscope::snapshot::Trigger::Api);
}

LEAKSCOPE_EXPORT int leakscope_preload_active(void) { return leakscope::preload::trackerActive() ? 1 : 0; }
