// Declarations shared by the core's own files (not part of the seam in TrackerCore.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"

namespace leakscope::preload {

// The next sequence number without consuming it (a module's unloaded_sequence).
uint64_t peekSequence() noexcept;
// The snapshot header's `sequence`: retires every thread's reserved block of allocation numbers
// (nextAllocationSequence), then returns the next number. Every record that exists now has a smaller
// one; every allocation recorded after this call gets one at least as large.
uint64_t sequenceAtSnapshot() noexcept;
// longjmp recovery (tracker/ThreadState.h): this thread's block of allocation numbers, possibly
// half-refilled, is dropped; the next allocation takes a fresh one.
void forgetSequenceBlock() noexcept;

// First-use initialisation of the tables every hook needs (mmap only; safe from the first malloc,
// before libc has finished starting). Returns false if the tables could not be mapped.
bool ensureCoreTables() noexcept;
// True once the constructor-time initialisation (config, unwinder, handlers) has completed.
bool trackerConfigured() noexcept;
// Memory hooks record while this is true (tables ready, memory tracking on, not torn down).
bool memoryTrackingOn() noexcept;
// ensureCoreTables() && memoryTrackingOn() for the allocation hooks: one flag and one TLS read once
// the tables exist.
bool memoryHooksTrack() noexcept;

// Frames a capture buffer must hold: the deepest stack plus the preload's own frames on top of it.
inline constexpr size_t kCaptureBufferFrames = snapshot::kMaxStackDepth + 17;
// Captures the stack (as captureStack()) and also returns its frames, for fault injection.
// `frames` must hold kCaptureBufferFrames entries.
uint32_t captureStackWithFrames(uint64_t* frames, uint16_t* depth) noexcept;
// The preload's own text range, skipped at the top of every captured stack.
void setOwnCodeRange(uint64_t start, uint64_t end) noexcept;
// That range, [*start, *end); both 0 until it is set. The stack walk counts the frames inside it.
void ownCodeRange(uint64_t* start, uint64_t* end) noexcept;
// True for an address in the preload's own text: an allocation it returns to was made by the tracker
// (its statically linked C++ runtime's emergency exception pool, say), not by the program.
bool isOwnCode(const void* address) noexcept;

// Resolves the real longjmp family at start (hooks/LongjmpHooks.cpp), never later in a handler.
void resolveJumpFunctions() noexcept;

// longjmp recovery (tracker/ThreadState.h): this thread's last capture, possibly half-written, is dropped.
void forgetLastCapture() noexcept;

// Stack depth in force (LEAKSCOPE_DEPTH).
uint32_t stackDepthLimit() noexcept;
// CLOCK_MONOTONIC at initialisation of this process (reset in a forked child).
uint64_t processStartNs() noexcept;
// This process's pid as the tracker knows it (differs from getpid() in a vfork child).
uint64_t trackedPid() noexcept;

// "<output dir><prefix><pid>" into out (false when it does not fit): the request files.
bool outputDirPidFile(const char* prefix, char* out, size_t capacity) noexcept;
// Reads <dir>/.request-<pid> (label, deleted after reading) and takes an External snapshot.
void takeExternalSnapshot() noexcept;
// The exit snapshot, written at most once per process; later snapshots are refused.
void takeExitSnapshot() noexcept;
bool exitSnapshotWritten() noexcept;
// _exit/_Exit (async-signal-safe, so possibly called from a handler): the pending deferred snapshots
// and the exit snapshot, unless this thread was interrupted inside the tracker, whose locks may then
// be held by the frame beneath the handler; the process ends without its exit snapshot rather than
// hang (docs/architecture.md, "Host-safety contract: signals and concurrency").
void takeImmediateExitSnapshot() noexcept;
void lockSnapshotForFork() noexcept;
// longjmp recovery (tracker/ThreadState.h): the snapshot lock, when this thread owns it, is released.
void releaseSnapshotLockOwnedHere() noexcept;
void unlockSnapshotAfterFork() noexcept;

// True once the program installed a seccomp filter: no snapshot is written any more (a filter may
// forbid the system calls a snapshot needs; lifecycle/TriggersSandbox.cpp).
bool sandboxed() noexcept;

// A snapshot of this process cannot be written (`what`, about `detail`, errno `error` or 0): said once
// per process on the stderr it started with (Log.h), later failures at debug level only. The process
// record calls it at start when the output directory is unusable: a program that closes its stderr
// before exit (coreutils' close_stdout) would otherwise never hear of it.
void warnSnapshotNotWritten(const char* what, const char* detail, int error) noexcept;

// Snapshot bookkeeping of this process: the next index, and the fork-child reset.
uint32_t takeSnapshotIndex() noexcept;
void resetSnapshotStateInChild() noexcept;

// Cumulative memory counters for the snapshot (MemoryTracker.cpp).
void fillMemoryCounters(snapshot::Counters& counters) noexcept;

// Remembers LD_PRELOAD and LEAKSCOPE_* of the starting environment for exec (ProcessHooks.cpp).
void rememberTrackingEnvironment() noexcept;
// True on the thread that holds every tracker lock for fork(): its hooks must not touch the tables.
bool forkLocksHeldHere() noexcept;

// fork(): every tracker lock, in one fixed order.
void lockTrackerForFork() noexcept;
void unlockTrackerAfterFork() noexcept;

// `leakscope attach` (preload/attach/): the tracker's start in a running process that dlopen'd this
// library. `settings` are "NAME=value" lines (docs/attach.md). Until then and after the stop the
// hooks are pass-through; the stop is final for this window, a later attach starts a new one.
enum class AttachStart { Started, Preloaded, AlreadyAttached, BadSettings, Failed };
AttachStart startAttachedTracking(const char* settings) noexcept;
void stopAttachedTracking() noexcept;
bool attachedTracking() noexcept;

}  // namespace leakscope::preload
