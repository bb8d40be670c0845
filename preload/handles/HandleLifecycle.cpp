// The handles:: side of the core seam (TrackerCore.h): the baseline of inherited fds at start, the
// /proc/self/fd reconciliation and the Handles section of every snapshot, the counters, and fork.
#include <atomic>

#include "tracker/TrackerCore.h"
#include "handles/HandleDescriptions.h"
#include "tables/HandleTable.h"
#include "hooks/HookSupport.h"
#include "handles/ProcFdScanner.h"

namespace leakscope::preload {
namespace handles {
namespace {

constinit std::atomic<bool> gTrackingEnabled{false};

// A /proc link target is at most PATH_MAX; the record keeps kHandlePathCapacity bytes of it.
constexpr size_t kTargetBufferSize = 4096;

// An fd found open that no hook saw open: its kind and details come from the kernel.
HandleEntry describeUnhooked(int fd, uint16_t flags) noexcept {
    char target[kTargetBufferSize];
    HandleEntry entry;
    entry.fd = fd;
    describeFromKernel(entry, fd, target, readFdTarget(fd, target, sizeof(target)));
    entry.flags |= flags;
    entry.sequence = nextSequence();
    return entry;
}

// Makes the table agree with /proc/self/fd: every open fd the table does not know becomes an
// untracked record (so it is listed, and keeps its sequence number from one snapshot to the next),
// and every record whose fd is no longer open (closed by a raw syscall or inside libc) is dropped.
// Records made while the scan runs (sequence >= scan_start) are left alone: the listing may predate them.
void reconcileWithProc() noexcept {
    const uint64_t scan_start = nextSequence();
    ProcFdScanner scanner;
    if (!scanner.opened()) return;
    HandleTable& table = handleTable();
    int next_expected = 0;
    int fd;
    while (scanner.next(fd)) {
        table.dropVanished(next_expected, fd, scan_start);
        next_expected = fd + 1;
        if (isTrackerFd(fd) || table.looksLive(fd) || fd > HandleTable::kMaxTrackedFd) continue;
        table.insertIfNotLive(describeUnhooked(fd, snapshot::kHandleUntracked));
    }
    table.dropVanished(next_expected, HandleTable::kMaxTrackedFd + 1, scan_start);
}

snapshot::HandleRecord toRecord(const HandleEntry& entry, SnapshotSectionSink& sink) noexcept {
    snapshot::HandleRecord record{};
    record.fd = entry.fd;
    record.kind = static_cast<uint16_t>(entry.kind);
    record.flags = entry.flags;
    record.sequence = entry.sequence;
    record.stack_id = entry.stack_id;
    record.thread_id = entry.thread_id;
    record.detail_a = entry.detail_a;
    record.detail_b = entry.detail_b;
    record.detail_c = entry.detail_c;
    if (entry.path_length) record.path = sink.addString(entry.path, entry.path_length);
    return record;
}

}  // namespace

bool handleTrackingEnabled() noexcept { return gTrackingEnabled.load(std::memory_order_acquire); }

void initialise() noexcept {
    ReentryGuard guard;
    ProcFdScanner scanner;
    int fd;
    while (scanner.next(fd)) {
        if (isTrackerFd(fd) || fd > HandleTable::kMaxTrackedFd) continue;
        // Open before this process's first instruction ran (inherited across fork/exec, stdin...):
        // a baseline, never a leak.
        handleTable().insertIfNotLive(describeUnhooked(fd, snapshot::kHandleInherited));
    }
    gTrackingEnabled.store(true, std::memory_order_release);
}

bool writeSnapshotSection(SnapshotSectionSink& sink) noexcept {
    reconcileWithProc();
    if (!sink.beginSection(snapshot::SectionType::Handles, sizeof(snapshot::HandleRecord))) return false;
    bool written = true;
    handleTable().forEachLive([&](const HandleEntry& entry) {
        if (isTrackerFd(entry.fd)) return;  // the snapshot file being written is not the program's
        const snapshot::HandleRecord record = toRecord(entry, sink);
        written = sink.appendRecord(&record) && written;
    });
    return sink.endSection() && written;
}

void fillCounters(snapshot::Counters& counters) noexcept {
    // The core may ask before or after writing the section: reconcile here too so the untracked and
    // live counts match the listing of this snapshot either way (a second scan finds nothing new).
    reconcileWithProc();
    const HandleCounts counts = handleTable().counts();
    counters.handles_opened = counts.opened;
    counters.handles_closed = counts.closed;
    counters.live_handles = counts.live;
    counters.bad_closes = counts.bad_closes;
    counters.untracked_handles = counts.untracked;
}

void afterForkInChild() noexcept { handleTable().adoptAfterFork(); }

}  // namespace handles
}  // namespace leakscope::preload
