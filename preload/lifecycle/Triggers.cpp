// Snapshot triggers: the public API, the external request (signal + request file) and the interval.
#include "lifecycle/Triggers.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "lifecycle/Config.h"
#include "lifecycle/Log.h"
#include "tracker/ThreadState.h"
#include "hooks/Export.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"


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

void* intervalLoop(void*) {
    // This thread belongs to the tracker: nothing it allocates is the program's.
    ReentryGuard guard;
    uint64_t interval_ms = config().interval_ms;
    timespec pause{static_cast<time_t>(interval_ms / 1000), static_cast<long>((interval_ms % 1000) * 1000000)};
    for (;;) {
        timespec remaining = pause;
        while (nanosleep(&remaining, &remaining) != 0 && errno == EINTR) {
        }
        if (exitSnapshotWritten()) return nullptr;
        takeSnapshot("interval", snapshot::Trigger::Interval);
    }
}

void startIntervalThread() noexcept {
    if (config().interval_ms == 0) return;
    ReentryGuard guard;
    // The program's signals are delivered to its own threads, not to ours.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int error = pthread_create(&thread, &attributes, intervalLoop, nullptr);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (error != 0) logMessage(LogLevel::Warn, "cannot start the interval snapshot thread (%s)", strerror(error));
}

// "<dir>/.request-<pid>"
bool requestFilePath(char* out, size_t capacity) noexcept {
    char pid_text[24];
    int length = 0;
    for (uint64_t pid = trackedPid(); pid || length == 0; pid /= 10) pid_text[length++] = static_cast<char>('0' + pid % 10);
    const char* directory = config().output_dir;
    size_t directory_length = std::strlen(directory);
    static constexpr char kPrefix[] = "/.request-";
    if (directory_length + sizeof(kPrefix) + static_cast<size_t>(length) >= capacity) return false;
    std::memcpy(out, directory, directory_length);
    std::memcpy(out + directory_length, kPrefix, sizeof(kPrefix) - 1);
    size_t used = directory_length + sizeof(kPrefix) - 1;
    while (length > 0) out[used++] = pid_text[--length];
    out[used] = '\0';
    return true;
}

}  // namespace

void takeExternalSnapshot() noexcept {
    ReentryGuard guard;
    char label[snapshot::kLabelCapacity] = "external";
    char path[4200];
    if (requestFilePath(path, sizeof(path))) {
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
    startIntervalThread();
}

void restartInChild() noexcept { startIntervalThread(); }

}  // namespace triggers
}  // namespace leakscope::preload

LEAKSCOPE_EXPORT void leakscope_preload_snapshot(const char* label) {
    leakscope::preload::takeSnapshot(label ? label : "snapshot", leakscope::snapshot::Trigger::Api);
}

LEAKSCOPE_EXPORT int leakscope_preload_active(void) { return leakscope::preload::trackerActive() ? 1 : 0; }
