// What a child process that missed its test's deadline was doing, so that a hang names itself in the
// test's failure message instead of "(hung)": the test runner (ProcessRunner.h) collects it just
// before it kills the process. Read from /proc, for the process and every descendant of it (a
// reachability clone, a forked child), one line per thread; and, when gdb is installed (optional,
// test-only), each process's `thread apply all bt`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace leakscope::testing {

// The descendants of `pid` (its children, their children, ...), found by parent pid in /proc/*/stat,
// parents before their children. Empty when it has none or /proc cannot be read.
std::vector<pid_t> processDescendants(pid_t pid);

// Processes with an fd open on one of these pipes (by inode, from /proc/*/fd), in /proc order.
std::vector<pid_t> processesHoldingPipes(const std::vector<ino_t>& pipe_inodes);

// The report, for `pid`, then each descendant, then each other process that holds one of
// `output_pipes` (the test's end of the program's stdout/stderr: an orphan that outlived the program
// keeps the test reading):
//   process 1234 (host_snapshot_in_handler), parent 1200
//     thread 1234 main_name  state S (sleeping)  wchan futex_wait_queue  syscall futex (202 0x7f.. 0x80 ...)
//     thread 1240 leakscope  state S (sleeping)  wchan do_sigtimedwait  syscall rt_sigtimedwait (128 ...)
// state and name from /proc/PID/task/TID/stat, wchan (the kernel function it sleeps in; "0" when
// running or hidden) and syscall (number and arguments, "running", or "-1 ..." outside a system call)
// from the same directory; a file that cannot be read says so in place of its value. Then, per
// process (at most `max_backtraces`), gdb's backtraces of every thread, run with `gdb_timeout`;
// "gdb: not installed" when it is not on PATH. Never throws: what cannot be collected is said in the
// text.
std::string describeHungProcess(pid_t pid, const std::vector<ino_t>& output_pipes = {},
                                std::chrono::seconds gdb_timeout = std::chrono::seconds(20), size_t max_backtraces = 3);

}  // namespace leakscope::testing
