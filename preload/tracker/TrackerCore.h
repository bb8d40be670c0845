// The seam between the preload's core (memory tracking, stacks, events, snapshots) and the parts that
// plug into it (handle tracking). Everything here is callable from any hook on any thread, allocates
// nothing through the hooked allocator, and never takes a lock that a hook on another thread could
// hold while waiting for us.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload {

// ---- provided by the core ---------------------------------------------------------------------

// Per-thread recursion guard (initial-exec TLS). A hook that finds the guard already held (the
// tracker's own allocations, libunwind's, spdlog's) must call the real function and record nothing.
class ReentryGuard {
public:
    ReentryGuard() noexcept;
    ~ReentryGuard();
    ReentryGuard(const ReentryGuard&) = delete;
    ReentryGuard& operator=(const ReentryGuard&) = delete;
    // True when this guard is the outermost one on this thread: the hook may track.
    bool owns() const noexcept { return owns_; }

private:
    bool owns_;
};

// True once the core is initialised and until it is torn down at process exit. Hooks record only
// while this is true (and their guard owns()).
bool trackerActive() noexcept;

// The real function behind an interposed symbol: dlsym(RTLD_NEXT, name), safe to call before main
// and from inside dlsym's own allocations (bootstrap). Returns nullptr when the symbol does not exist.
void* resolveNext(const char* name) noexcept;

// Process-wide increasing sequence number shared by allocations, handles and events: one atomic
// increment, so numbers taken on different threads are ordered as the calls were (handle tracking's
// /proc reconciliation relies on that).
uint64_t nextSequence() noexcept;
// A sequence number for an allocation, from a block of numbers this thread reserved (the hot path
// touches no shared cache line). Unique in the process (nextSequence's numbers included) and
// increasing among a thread's allocations; across threads, and against nextSequence's numbers, ordered
// only at snapshots: every number taken after a snapshot read its header's `sequence`
// (sequenceAtSnapshot) is at least that value, every number taken before it is below.
uint64_t nextAllocationSequence() noexcept;

// Kernel thread id of the calling thread (cached per thread).
uint32_t currentThreadId() noexcept;

// Captures the calling hook's caller stack (the hook's own frame and the tracker's frames are not
// part of it), stores it in the stack table, and returns its id (0 when it could not be stored).
uint32_t captureStack() noexcept;

// Records an event (bad free, bad close, failed allocation...) with its stack id.
void recordEvent(snapshot::EventKind kind, uint64_t value, uint64_t size, uint32_t stack_id) noexcept;

// Writes a snapshot now (the API, external, interval and exit triggers all land here).
void takeSnapshot(const char* label, snapshot::Trigger trigger) noexcept;

// True for fds the tracker itself holds open (snapshot temporaries, libunwind's pipe): close() and
// dup2() onto them must be refused/redirected and the /proc reconciliation must not list them.
bool isTrackerFd(int fd) noexcept;

// ---- provided by handle tracking (preload/handles/) -----------------------------------------

// The core's snapshot writer as seen by a part that contributes a section. Records are streamed
// (no buffering of the whole section); strings are collected into the Strings section.
class SnapshotSectionSink {
public:
    // Starts a section of fixed-size records (record_size bytes each).
    virtual bool beginSection(snapshot::SectionType type, uint32_t record_size) noexcept = 0;
    // Appends one record of the current section's record_size.
    virtual bool appendRecord(const void* record) noexcept = 0;
    // Stores a string (bytes, no NUL needed) in the Strings section and returns its reference.
    virtual snapshot::StringRef addString(const char* text, size_t length) noexcept = 0;
    virtual bool endSection() noexcept = 0;

protected:
    ~SnapshotSectionSink() = default;
};

namespace handles {
// Called once from the core's initialisation, after the real functions are resolvable: records the
// fds already open as inherited (a baseline that is never a leak).
void initialise() noexcept;
// Called by the core while it writes a snapshot: appends the Handles section (after reconciling with
// /proc/self/fd) and adds its strings. Returns false if the section could not be written.
bool writeSnapshotSection(SnapshotSectionSink& sink) noexcept;
// Counters the core copies into the snapshot's Counters record.
void fillCounters(snapshot::Counters& counters) noexcept;
// fork() in the child: every live handle becomes inherited.
void afterForkInChild() noexcept;
}  // namespace handles

}  // namespace leakscope::preload
