// The reachability scan of one snapshot (docs/analysis.md, "The reachability scan"): classifies every
// live block as memcheck does (definitely lost, indirectly lost, possibly lost, still reachable).
//
// Consistency while the program's other threads run: a copy-on-write image of the process, taken with
// a raw clone (no CLONE_VM; exit signal 0, so the program gets no SIGCHLD and its wait() never sees the
// clone; not libc's fork, so no pthread_atfork handler runs). The live table's locks are held across
// the clone only, so the image's table is consistent; the program's threads then run on while the
// clone scans its image. The clone writes the blocks as they were at the clone, in the live table's
// order, and their classes into memory shared with the snapshotting thread, which waits for them (a
// flag the clone sets before it exits, or waitpid __WALL when it died) and writes them as the
// Allocations and Reachability sections: records and classes describe the same instant by
// construction. The clone is reaped once the snapshot is written: its exit (the teardown of its copy
// of the image) overlaps the writing.
//
// Never fatal to the program: the clone resets SIGSEGV/SIGBUS to their default (a fault while reading
// the image ends the clone, not the program, and no handler of the program runs in it) and blocks every
// other signal; it writes nothing but the shared memory and exits with exit_group (no atexit handler).
// Statuses (Counters::reachability_status): Classified; Skipped when the blocks exceed the size budget
// or the clone does not finish within LEAKSCOPE_REACHABILITY_BUDGET_MS (the clone is then killed);
// Failed when the clone cannot be made (a seccomp filter, RLIMIT_NPROC, no memory) or died.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload::reachability {

// More live blocks than this are not scanned (status Skipped): the clone needs about 60 bytes per
// block besides the image.
inline constexpr size_t kMaxBlocks = 16u << 20;

class ReachabilityScan {
public:
    ReachabilityScan() noexcept = default;
    ~ReachabilityScan();
    ReachabilityScan(const ReachabilityScan&) = delete;
    ReachabilityScan& operator=(const ReachabilityScan&) = delete;

    // Scans now. `stack_floor`: an address in the frame that entered the snapshot on this thread
    // (this thread's stack is scanned from there up). `budget_ms`: the wall-time budget.
    void run(uint64_t stack_floor, uint64_t budget_ms) noexcept;

    snapshot::ReachabilityStatus status() const noexcept { return status_; }
    uint64_t scanNs() const noexcept { return scan_ns_; }
    // When status() is Classified: the live blocks at the clone, in the live table's order (no address
    // order: the file needs none, and the clone sorts keys, not records), and their classes
    // (a snapshot::Reachability each), count() of both; valid while this object lives.
    const snapshot::AllocationRecord* records() const noexcept;
    const uint8_t* classes() const noexcept;
    size_t count() const noexcept;

private:
    snapshot::ReachabilityStatus status_ = snapshot::ReachabilityStatus::NotAttempted;
    uint64_t scan_ns_ = 0;
    void* shared_ = nullptr;  // SharedResult + records + classes, MAP_SHARED with the clone
    size_t shared_bytes_ = 0;
    long unreaped_ = 0;  // the clone, once its result is in: reaped when this object goes
};

// Called once on the main thread at start: where the main thread's static TLS lives (a root).
void rememberMainThread() noexcept;
// Called by the tool thread when it starts: its stack is the tool's, never a root.
void rememberToolThread(const void* address_on_its_stack) noexcept;

}  // namespace leakscope::preload::reachability
