// takeSnapshot(): every trigger lands here. Runs the reachability scan when this snapshot is to be
// classified (reachability/ReachabilityScan.h), then writes header, Counters, Modules, Allocations
// (+ Reachability), Handles (from handle tracking), Events, Stacks and Strings through the
// SnapshotWriter, one snapshot at a time, with the guard held so nothing the writer does is tracked.
// Every fd a snapshot opens is opened on a helper with its own copy of the fd table
// (lifecycle/FdTableCopy.h), so the program's fd numbers are exactly those of a plain run; only when
// that helper cannot be started is the file written in place, its fd moved high (TrackerFds.h).
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

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
#include "tracker/ClockNs.h"
#include "tracker/TrackerCore.h"
#include "lifecycle/FdTableCopy.h"
#include "lifecycle/ProcessRecord.h"
#include "lifecycle/TrackerFds.h"
#include "snapshot/UserSwitchDirectory.h"
#include "tracker/TrackerInternals.h"
#include "reachability/ReachabilityScan.h"
#include "leakscope/SnapshotWriter.h"

namespace leakscope::preload {
namespace {

SpinLock gSnapshotLock;
std::atomic<uint32_t> gSnapshotIndex{0};
std::atomic<bool> gExitWritten{false};
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
    header.sequence = sequenceAtSnapshot();
    header.snapshot_index = index;
    header.stack_depth_limit = stackDepthLimit();
    copyCut(header.label, sizeof(header.label), label);
    char executable[sizeof(header.executable)] = {};
    // thread-self: after main's pthread_exit, /proc/self names the exited leader, which has no exe.
    ssize_t length = readlink("/proc/thread-self/exe", executable, sizeof(executable) - 1);
    if (length > 0) std::memcpy(header.executable, executable, static_cast<size_t>(length));
    return header;
}

bool writeCounters(snapshot::SnapshotWriter& writer, const reachability::ReachabilityScan& scan) noexcept {
    snapshot::Counters counters{};
    fillMemoryCounters(counters);
    if (config().track_handles) handles::fillCounters(counters);
    counters.reachability_status = static_cast<uint64_t>(scan.status());
    counters.reachability_scan_ns = scan.scanNs();
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

// Classified: the blocks as the scan's image had them, then their classes in the same order (the two
// sections describe one instant). Otherwise the live table as it is now, and no classes.
bool writeAllocations(snapshot::SnapshotWriter& writer, const reachability::ReachabilityScan& scan) noexcept {
    if (!writer.beginSection(snapshot::SectionType::Allocations, sizeof(snapshot::AllocationRecord))) return false;
    if (scan.status() == snapshot::ReachabilityStatus::Classified) {
        return writer.appendBytes(scan.records(), scan.count() * sizeof(snapshot::AllocationRecord), scan.count()) &&
               writer.endSection() && writer.beginSection(snapshot::SectionType::Reachability, sizeof(uint8_t)) &&
               writer.appendBytes(scan.classes(), scan.count(), scan.count()) && writer.endSection();
    }
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

}  // namespace

void warnSnapshotNotWritten(const char* what, const char* detail, int error) noexcept {
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

namespace {

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

// The writer's fd goes through the registry in TrackerFds: placed high, registered while the file is
// written, forgotten before it is closed.
int adoptSnapshotFd(int fd) noexcept {
    const int placed = placeTrackerFd(fd);
    const int slot = claimTrackerFd(placed);
    if (slot < 0) syscall(SYS_close, placed);
    return slot;
}
constexpr snapshot::FdOwner kRegistryOwner{adoptSnapshotFd, trackerFdInSlot, releaseTrackerFdSlot};

bool composeInto(snapshot::SnapshotWriter& writer, const char* directory, const char* name,
                 const snapshot::FileHeader& header, const reachability::ReachabilityScan& scan) noexcept {
    if (!writer.open(directory, name, header)) return false;
    WriterSink sink(writer);
    // Stacks last: a record can only carry a stack id interned (and published) before the record
    // existed, so every id the file's records mention is in its Stacks section.
    bool ok = writeCounters(writer, scan) && module_map::writeSection(sink) && writeAllocations(writer, scan);
    ok = ok && (!config().track_handles || handles::writeSnapshotSection(sink)) && writeEvents(writer);
    ok = ok && writeStacks(writer);
    return ok && writer.commit();
}

bool reportOutcome(snapshot::SnapshotWriter& writer, bool ok) noexcept {
    if (!ok) {
        warnSnapshotNotWritten(writer.failure(), writer.path(), writer.lastErrno());
        writer.abandon();
        return false;
    }
    logMessage(LogLevel::Info, "snapshot %s written", writer.path());
    return true;
}

struct ComposeJob {
    const char* directory;
    const char* name;
    const snapshot::FileHeader* header;
    const reachability::ReachabilityScan* scan;
    bool written = false;  // set by the helper (it shares our memory)
    int error = 0;         // why not written (the writer's errno; 0 when it had none)
};

// The numbers one snapshot opens at once in the helper's copy: the file, the /proc fd listing, the
// maps file that names a module.
constexpr int kNumbersPerSnapshot = 3;

// When the program has used every fd (EMFILE), the helper's copy gives up some of its own numbers:
// closing a copy's fd leaves the program's open (and its POSIX locks: they belong to the program's
// table). Probes with O_PATH opens of "/", which create nothing.
void freeNumbersInThisCopy() noexcept {
    int probes[kNumbersPerSnapshot];
    int free_numbers = 0;
    for (int& probe : probes) {
        probe = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/", O_PATH | O_CLOEXEC));
        if (probe >= 0) ++free_numbers;
    }
    for (int probe : probes)
        if (probe >= 0) syscall(SYS_close, probe);
    for (; free_numbers < kNumbersPerSnapshot && closeOneFdOfThisCopy(); ++free_numbers) {
    }
}

// On the helper (lifecycle/FdTableCopy.h): the fds it opens are in its copy of the table, so the writer
// keeps its number unregistered, and the program never meets it, not even for the two syscalls a
// move to a high number takes.
void composeOnCopy(void* context) noexcept {
    auto& job = *static_cast<ComposeJob*>(context);
    freeNumbersInThisCopy();
    snapshot::SnapshotWriter writer;
    job.written = reportOutcome(writer, composeInto(writer, job.directory, job.name, *job.header, *job.scan));
    if (!job.written) job.error = writer.lastErrno();
}

// The helper could not be started (the clone was refused): in place, the file's fd moved high and
// registered at once (lifecycle/TrackerFds.h). When every number is in use, the snapshot is lost, with
// one warning.
void composeInPlace(ComposeJob& job) noexcept {
    snapshot::SnapshotWriter writer(&kRegistryOwner);
    job.written = reportOutcome(writer, composeInto(writer, job.directory, job.name, *job.header, *job.scan));
    if (!job.written) job.error = writer.lastErrno();
}

// The last snapshot a process writes: after it, the process was judged and its record goes.
bool isFinal(snapshot::Trigger trigger) noexcept {
    return trigger == snapshot::Trigger::Exit || trigger == snapshot::Trigger::Crash ||
           trigger == snapshot::Trigger::Sandbox;
}

// Whether this snapshot is classified (LEAKSCOPE_REACHABILITY). Never a crash snapshot: it is written
// from a signal handler, where the loader's lock (dl_iterate_phdr) may be held by the interrupted code,
// the heap may be what is corrupt, and the process should die without delay.
bool wantsReachability(snapshot::Trigger trigger) noexcept {
    if (!config().track_memory || trigger == snapshot::Trigger::Crash) return false;
    switch (config().reachability) {
        case ReachabilityMode::Off: return false;
        case ReachabilityMode::Exit: return trigger == snapshot::Trigger::Exit || trigger == snapshot::Trigger::Sandbox;
        case ReachabilityMode::All: return true;
    }
    return false;
}

void writeSnapshotLocked(const char* label, snapshot::Trigger trigger, uint64_t stack_floor) noexcept {
    const char* directory = config().output_dir;
    FileSizeSignalBlocked file_size_signal_blocked;
    char why[512];
    char switched_directory[64];
    if (switchedUserDirectory(switched_directory, sizeof(switched_directory))) {
        // Switched user after start (an nginx worker): the `uid-<N>` directory made for it while it
        // was root, reached through its fd (UserSwitchDirectory.h); checked when it was made.
        directory = switched_directory;
    } else if (!snapshot::prepareOutputDirectory(directory, why, sizeof(why))) {
        // A process that switched user without our hooks seeing it (a raw syscall, or it was not root)
        // cannot write into the run's 0700 directory; that is no news for the program's stderr.
        if (geteuid() != config().starting_euid)
            logMessage(LogLevel::Info, "snapshot not written: this process switched user after start (%s)", why);
        else
            warnSnapshotNotWritten(why, "", 0);
        return;
    }
    // Before the header: its sequence then bounds every record of the scan's image too.
    reachability::ReachabilityScan scan;
    if (wantsReachability(trigger)) scan.run(stack_floor, config().reachability_budget_ms);
    uint32_t index = takeSnapshotIndex();
    snapshot::FileHeader header = makeHeader(label, trigger, index);
    char name[256];
    snapshot::formatSnapshotFileName(name, sizeof(name), header.realtime_ns, header.pid, index, label);
    ComposeJob job{directory, name, &header, &scan};
    if (!runWithCopiedFdTable(composeOnCopy, &job)) {
        // Said at info level only: the snapshot is still written, and the program's stderr is its own.
        logMessage(LogLevel::Info, "snapshot helper not started (%s): writing in place, fds moved high",
                   strerror(errno));
        composeInPlace(job);
    }
    if (job.written && isFinal(trigger)) process_record::settle();
    // The record keeps why: a process whose final snapshot then fails too is reported with what was
    // seen (EFBIG under `ulimit -f`, ENOSPC, EDQUOT...), not with a guess at a kill.
    if (!job.written && job.error != 0) process_record::noteWriteError(job.error);
}

}  // namespace

bool isTrackerFd(int fd) noexcept { return isPersistentTrackerFd(fd); }

uint32_t takeSnapshotIndex() noexcept { return gSnapshotIndex.fetch_add(1, std::memory_order_relaxed); }

void resetSnapshotStateInChild() noexcept {
    gSnapshotIndex.store(0, std::memory_order_relaxed);
    gWarnedOnce.store(false, std::memory_order_relaxed);  // a new process: it says so once itself
    gSnapshotLock.resetInChild();
}

void takeSnapshot(const char* label, snapshot::Trigger trigger) noexcept {
    ReentryGuard guard;
    if (!trackerActive() || gExitWritten.load(std::memory_order_acquire) || sandboxed()) return;
    if (static_cast<uint64_t>(getpid()) != trackedPid()) return;  // a vfork child shares our memory
    int saved_errno = errno;
    // The reachability scan reads this thread's stack from here up: below are only the tool's frames.
    // __builtin_unwind_init spills every callee-saved register into this frame, above `floor_marker`,
    // so a pointer the program's frames still kept in a register is on the scanned stack too.
    __builtin_unwind_init();
    volatile char floor_marker = 0;
    const auto stack_floor = reinterpret_cast<uint64_t>(&floor_marker);
    SpinLockHolder hold(gSnapshotLock);
    if (!gExitWritten.load(std::memory_order_acquire)) {
        if (trigger == snapshot::Trigger::Exit) gExitWritten.store(true, std::memory_order_release);
        writeSnapshotLocked(label && *label ? label : "snapshot", trigger, stack_floor);
    }
    errno = saved_errno;
}

void takeExitSnapshot() noexcept { takeSnapshot("exit", snapshot::Trigger::Exit); }

bool exitSnapshotWritten() noexcept { return gExitWritten.load(std::memory_order_acquire); }

void lockSnapshotForFork() noexcept { gSnapshotLock.lock(); }
void releaseSnapshotLockOwnedHere() noexcept { gSnapshotLock.releaseIfOwnedHere(); }
void unlockSnapshotAfterFork() noexcept { gSnapshotLock.unlock(); }

}  // namespace leakscope::preload
