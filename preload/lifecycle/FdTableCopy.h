// Runs a piece of the tracker's own work (writing a snapshot) on a helper that shares the process's
// memory but not its fd table, so every fd that work opens — the snapshot file, /proc listings, the
// maps file — lives in a copy and never takes a number of the program's (issue 16 kind 2, issue 21:
// "fd numbers exactly as in a plain run", also while `leakscope attach` is attached).
//
// The helper is a thread of the process made with clone(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND |
// CLONE_UNTRACED | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID) and no CLONE_FILES, on a small mmap'd
// stack with a guard page. Why each:
// - no CLONE_FILES: the kernel gives it a copy of the fd table taken at the clone; it opens, writes,
//   renames and closes there, and the program's table is never touched.
// - CLONE_THREAD (and the CLONE_SIGHAND it requires): a thread is reaped by the kernel when it exits, so
//   no zombie ever waits for a wait(): a program's waitpid(-1, __WALL) cannot take it, no SIGCHLD is
//   sent, and /proc/self/task/<tid>/fd of the waiting thread — the program's live table — is readable
//   from it even in a non-dumpable process (same thread group), see programFdPath().
// - the calling thread waits until the helper has left its stack (the kernel clears the tid word and
//   wakes the futex, CLONE_CHILD_CLEARTID, as for pthread_join) and does nothing else meanwhile, so the
//   two share the calling thread's TLS (no CLONE_SETTLS: errno, the ReentryGuard, ThreadState are the
//   caller's; the wait is a raw futex call that leaves errno alone; the helper must not take a lock the
//   caller holds). Not CLONE_VFORK: its wait is not interruptible by a stop, so a Ctrl-Z arriving
//   while the helper runs would stop the helper (a thread of the process) and never be completed by
//   the waiting thread — the process would hang, unreported, until SIGCONT.
// - CLONE_UNTRACED: a debugger tracing the program gets no clone event and does not attach to it.
// - every signal is blocked (raw rt_sigprocmask, glibc's internal ones too) in the caller across the
//   clone and the wait, and so in the helper: a process-directed signal goes to another thread (or
//   waits until the caller unblocks), and no program handler ever runs on the helper's stack.
// The helper allocates nothing with malloc and exits with SYS_exit (never exit_group, never atexit).
//
// When the clone is refused (RLIMIT_NPROC or a pids cgroup at its limit, a seccomp filter that the
// sandbox detection did not see, no memory for the stack) or would end the process (under valgrind,
// which implements only pthread_create's and fork's clone flags), nothing runs and the caller does the work
// in place, with the fds moved high (lifecycle/TrackerFds.h).
#pragma once

#include <cstddef>

namespace leakscope::preload {

// Runs work(context) on the helper and returns once it has exited: true. False (errno set) when the
// helper could not be started; work did not run. Keeps errno when it ran. Async-signal-safe.
bool runWithCopiedFdTable(void (*work)(void* context), void* context) noexcept;

// True inside work(): the fds this thread opens are in the copy, and must not be registered as the
// tracker's (the registry is shared memory; a registered number would make the program's close() of
// it fail with EBADF).
bool onCopiedFdTable() noexcept;

// The /proc path that names the program's fd table (fd < 0) or one fd in it: "/proc/thread-self/fd[/N]"
// normally; inside the helper "/proc/self/task/<caller's tid>/fd[/N]", the live table of the thread
// that waits (the helper's own /proc/thread-self/fd is its copy, frozen at the clone: reconciling
// against it would re-add fds the program closed meanwhile and drop those it opened). False when `out`
// is too small. Allocates nothing.
bool programFdPath(int fd, char* out, size_t capacity) noexcept;

}  // namespace leakscope::preload
