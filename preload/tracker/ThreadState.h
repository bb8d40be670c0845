// Per-thread state of the tracker (initial-exec TLS only: no __tls_get_addr, no allocation) and the
// work a signal handler defers to the next hook exit.
#pragma once

#include <cstdint>

namespace leakscope::preload {

// True while this thread is inside a hook or the tracker (the guard is held): a signal that lands now
// must not take tracker locks.
bool threadInsideTracker() noexcept;

// Asks for an external snapshot at the next safe point (the next outermost guard release on any
// thread). Async-signal-safe.
void requestDeferredSnapshot() noexcept;
// Runs the deferred snapshot if one is pending; called where no tracker lock is held.
void runDeferredWork() noexcept;

// fork() child: the tid cache and the sequence-independent per-thread state are re-read.
void resetThreadStateInChild() noexcept;

}  // namespace leakscope::preload
