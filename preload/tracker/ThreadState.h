// Per-thread state of the tracker (initial-exec TLS only: no __tls_get_addr, no allocation) and the
// work a signal handler defers to the next hook exit.
#pragma once

#include <cstdint>

namespace leakscope::preload {

// True while this thread is inside a hook or the tracker (the guard is held): a signal that lands now
// must not take tracker locks.
bool threadInsideTracker() noexcept;

// Asks for an external snapshot at the next safe point (the next outermost guard release on any
// thread, or the exit snapshot, whichever comes first). Async-signal-safe.
void requestDeferredSnapshot() noexcept;
// Requests merged into one still pending since the preload initialised (Counters::snapshot_requests_merged).
uint64_t snapshotRequestsMerged() noexcept;
// The same for leakscope_snapshot(label) called from a signal handler that interrupted the tracker:
// the label is kept (requests that arrive while one is pending are merged into it). Async-signal-safe.
void requestDeferredApiSnapshot(const char* label) noexcept;
// Runs the deferred snapshots if any are pending; does nothing while this thread is inside the
// tracker. Called where no tracker lock is held.
void runDeferredWork() noexcept;

// siglongjmp/longjmp out of a signal handler (hooks/LongjmpHooks.cpp). True when this thread is inside
// the tracker and a jump to `target_sp` (the stack pointer saved in the jmp_buf) leaves every tracker
// frame of the thread behind; false for a jump that stays inside the handler.
bool jumpLeavesTracker(uintptr_t target_sp) noexcept;
// Makes the thread whole again after such a jump abandoned its tracker frames: releases the locks it
// owns (SpinLock.h), forgets per-thread caches they may have left half-written, and leaves the guard.
// What the abandoned frames were doing is lost: the allocation being recorded stays untracked, a
// snapshot being written leaves its `.tmp-` file (the reader skips it; its fd is closed).
void recoverAbandonedTracker() noexcept;

// fork() child: the tid cache and the sequence-independent per-thread state are re-read.
void resetThreadStateInChild() noexcept;

}  // namespace leakscope::preload
