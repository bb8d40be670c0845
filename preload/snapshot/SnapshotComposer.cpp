// takeSnapshot(): every trigger lands here. Writes header, Counters, Modules, Stacks, Allocations,
// Handles (from handle tracking), Events and Strings through the SnapshotWriter, one snapshot at a
// time, with the guard held so nothing the writer does is tracked.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include "lifecycle/Config.h"
#include "tables/EventStore.h"
#include "tables/LiveTable.h"
#include "lifecycle/Log.h"
#include "unwind/ModuleMap.h"
#include "tables/SpinLock.h"
#include "tables/StackTable.h"
#include "tracker/ThreadState.h"
#include "tracker/TrackerCore.h"
#include "lifecycle/TrackerFds.h"
#include "tracker/TrackerInternals.h"
#include "leakscope/SnapshotWriter.h"

namespace leakscope::preload {
namespace {

SpinLock gSnapshotLock;
std::atomic<uint32_t> gSnapshotIndex{0};
std::atomic<bool> gExitWritten{false};
std::atomic<int> gTrackerFd{-1};
std::atomic<bool> gWarnedOnce{false};

// The SnapshotSectionSink that handle tracking (and the core's own sections) write through.
class WriterSink final : public SnapshotSectionSink {
public:
    explicit WriterSink(snapshot::SnapshotWriter& writer) noexcept : writer_(writer) {}
    bool beginSection(snapshot::SectionType type, uint32_t record_size) noexcept override {
        return writer_.beginSection(type, record_size);
    }
    bool appendRecord(const void* record) noexcept override { return writer_.appendRecord(record); }
    snapshot::StringRef addString(const char* text, size_t length) noexcept override {
        return writer_.addString(text, length);
    }
    bool endSection() noexcept override { return writer_.endSection(); }

private:
    snapshot::SnapshotWriter& writer_;
};

uint64_t clockNs(clockid_t clock) noexcept {
    timespec now{};
    clock_gettime(clock, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

void copyCut(char* out, size_t capacity, const char* text) noexcept {
    std::memset(out, 0, capacity);
    size_t length = std::strlen(text);
    if (length >= capacity) length = capacity - 1;  // keep one NUL so readers can rely on it
    std::memcpy(out, text, length);
}

snapshot::FileHeader makeHeader(const char* label, snapshot::Trigger trigger, uint32_t index) noexcept {
    snapshot::FileHeader header{};
    header.trigger = static_cast<uint32_t>(trigger);
    header.pid = static_cast<uint64_t>(getpid());
    header.ppid = static_cast<uint64_t>(getppid());
    header.realtime_ns = clockNs(CLOCK_REALTIME);
    header.monotonic_ns = clockNs(CLOCK_MONOTONIC);
    header.process_start_ns = processStartNs();
    header.sequence = peekSequence();
    header.snapshot_index = index;
    header.stack_depth_limit = stackDepthLimit();
    copyCut(header.label, sizeof(header.label), label);
    char executable[sizeof(header.executable)] = {};
    // thread-self: after main's pthread_exit, /proc/self names the exited leader, which has no exe.
    ssize_t length = readlink("/proc/thread-self/exe", executable, sizeof(executable) - 1);
    if (length > 0) std::memcpy(header.executable, executable, static_cast<size_t>(length));
    return header;
}

bool writeCounters(snapshot::SnapshotWriter& writer) noexcept {
    snapshot::Counters counters{};
    fillMemoryCounters(counters);
    if (config().track_handles) handles::fillCounters(counters);
    return writer.beginSection(snapshot::SectionType::Counters, sizeof(counters)) && writer.appendRecord(&counters) &&
           writer.endSection();
}

bool writeStacks(snapshot::SnapshotWriter& writer) noexcept {
    if (!writer.beginSection(snapshot::SectionType::Stacks, 0)) return false;
    uint32_t count = stack_table::count();
    for (uint32_t id = 1; id <= count; ++id) {
        const uint64_t* frames = nullptr;
        uint16_t depth = 0, flags = 0;
        if (!stack_table::get(id, &frames, &depth, &flags)) continue;  // being published right now
        snapshot::StackRecordHeader header{id, depth, flags};
        if (!writer.appendBytes(&header, sizeof(header), 1) ||
            !writer.appendBytes(frames, depth * sizeof(uint64_t), 0))
            return false;
    }
    return writer.endSection();
}

bool writeAllocations(snapshot::SnapshotWriter& writer) noexcept {
    if (!writer.beginSection(snapshot::SectionType::Allocations, sizeof(snapshot::AllocationRecord))) return false;
    if (config().track_memory) {
        live_table::forEachTracked(
            [](const LiveEntry& entry, void* context) {
                snapshot::AllocationRecord record{};
                record.address = entry.address;
                record.size = entry.size;
                record.sequence = entry.sequence;
                record.stack_id = entry.stack_id;
                record.thread_id = entry.thread_id;
                static_cast<snapshot::SnapshotWriter*>(context)->appendRecord(&record);
            },
            &writer);
    }
    return writer.endSection();
}

bool writeEvents(snapshot::SnapshotWriter& writer) noexcept {
    if (!writer.beginSection(snapshot::SectionType::Events, sizeof(snapshot::EventRecord))) return false;
    event_store::forEach(
        [](const snapshot::EventRecord& event, void* context) {
            static_cast<snapshot::SnapshotWriter*>(context)->appendRecord(&event);
        },
        &writer);
    return writer.endSection();
}

void warnOnce(const char* what, const char* detail, int error) noexcept {
    if (gWarnedOnce.exchange(true)) {
        logMessage(LogLevel::Debug, "snapshot not written: %s %s (%s)", what, detail, strerror(error));
        return;
    }
    if (error != 0)
        logMessage(LogLevel::Warn, "snapshot not written: %s %s (%s); the program continues", what, detail,
                   strerror(error));
    else
        logMessage(LogLevel::Warn, "snapshot not written: %s; the program continues", what);
}

// A snapshot must never kill its host: under a file size limit (RLIMIT_FSIZE, `ulimit -f`) a write
// past it raises SIGXFSZ, whose default action terminates the program. Blocked while the snapshot is
// written, the write fails with EFBIG instead (one warning). A SIGXFSZ that our write raised is then
// discarded; one that was pending before is left for the program.
class FileSizeSignalBlocked {
public:
    FileSizeSignalBlocked() noexcept {
        sigemptyset(&only_);
        sigaddset(&only_, SIGXFSZ);
        pthread_sigmask(SIG_BLOCK, &only_, &previous_);
        was_pending_ = isPending();
    }
    ~FileSizeSignalBlocked() {
        if (!was_pending_ && isPending()) {
            timespec no_wait{};
            sigtimedwait(&only_, nullptr, &no_wait);
        }
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    FileSizeSignalBlocked(const FileSizeSignalBlocked&) = delete;
    FileSizeSignalBlocked& operator=(const FileSizeSignalBlocked&) = delete;

private:
    static bool isPending() noexcept {
        sigset_t pending;
        return sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ) == 1;
    }
    sigset_t only_;
    sigset_t previous_;
    bool was_pending_ = false;
};

void writeSnapshotLocked(const char* label, snapshot::Trigger trigger) noexcept {
    const char* directory = config().output_dir;
    FileSizeSignalBlocked file_size_signal_blocked;
    char why[512];
    if (!snapshot::prepareOutputDirectory(directory, why, sizeof(why))) {
        warnOnce(why, "", 0);
        return;
    }
    uint32_t index = takeSnapshotIndex();
    snapshot::FileHeader header = makeHeader(label, trigger, index);
    char name[256];
    snapshot::formatSnapshotFileName(name, sizeof(name), header.realtime_ns, header.pid, index, label);
    snapshot::SnapshotWriter writer;
    bool ok = writer.open(directory, name, header);
    setTrackerFd(writer.fd());
    WriterSink sink(writer);
    // Stacks last: a record can only carry a stack id interned (and published) before the record
    // existed, so every id the file's records mention is in its Stacks section.
    ok = ok && writeCounters(writer) && module_map::writeSection(sink) && writeAllocations(writer);
    ok = ok && (!config().track_handles || handles::writeSnapshotSection(sink)) && writeEvents(writer);
    ok = ok && writeStacks(writer);
    ok = ok && writer.commit();
    setTrackerFd(-1);
    if (!ok) {
        warnOnce(writer.failure(), writer.path(), writer.lastErrno());
        writer.abandon();
        return;
    }
    logMessage(LogLevel::Info, "snapshot %s written", writer.path());
}

}  // namespace

void setTrackerFd(int fd) noexcept { gTrackerFd.store(fd, std::memory_order_release); }

bool isTrackerFd(int fd) noexcept {
    return fd >= 0 && (gTrackerFd.load(std::memory_order_acquire) == fd || isPersistentTrackerFd(fd));
}

uint32_t takeSnapshotIndex() noexcept { return gSnapshotIndex.fetch_add(1, std::memory_order_relaxed); }

void resetSnapshotStateInChild() noexcept {
    gSnapshotIndex.store(0, std::memory_order_relaxed);
    gSnapshotLock.resetInChild();
    gTrackerFd.store(-1, std::memory_order_relaxed);
}

void takeSnapshot(const char* label, snapshot::Trigger trigger) noexcept {
    ReentryGuard guard;
    if (!trackerConfigured() || gExitWritten.load(std::memory_order_acquire)) return;
    if (static_cast<uint64_t>(getpid()) != trackedPid()) return;  // a vfork child shares our memory
    int saved_errno = errno;
    SpinLockHolder hold(gSnapshotLock);
    if (!gExitWritten.load(std::memory_order_acquire)) {
        if (trigger == snapshot::Trigger::Exit) gExitWritten.store(true, std::memory_order_release);
        writeSnapshotLocked(label && *label ? label : "snapshot", trigger);
    }
    errno = saved_errno;
}

void takeExitSnapshot() noexcept { takeSnapshot("exit", snapshot::Trigger::Exit); }

bool exitSnapshotWritten() noexcept { return gExitWritten.load(std::memory_order_acquire); }

void lockSnapshotForFork() noexcept { gSnapshotLock.lock(); }
void unlockSnapshotAfterFork() noexcept { gSnapshotLock.unlock(); }

}  // namespace leakscope::preload
