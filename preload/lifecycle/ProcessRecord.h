// The process record (issue 16, kinds 8 and 11; docs/architecture.md, "Process records"): every
// followed process leaves an empty file in the run's directory when it starts, whose *name* says who it
// is, and removes it when its final snapshot (exit, crash, sandbox) is written. A record still there
// when the run is analysed names a process that was followed but never judged, and why:
//
//   .proc-<pid>-<start_ns>-<euid>-<state>-<comm>   the process image (start_ns = the snapshots'
//                                                   process_start_ns, euid at start, comm sanitised)
//   .exec-<pid>-<start_ns>-<euid>-<state>-<comm>   the same after it called exec: settled by the next
//                                                   image of that pid (which removes it at its start)
//
// state: `tracked`; `sandboxed` (inherited a seccomp filter: not tracked); `sandboxtracked` (inherited a
// filter, tracked on request, LEAKSCOPE_SECCOMP=track); `uid<N>` (switched to user N after start);
// `nowrite<E>` (the last snapshot it tried to write failed with errno E: EFBIG under a file size limit,
// ENOSPC, EDQUOT...).
//
// Why the name and not a file's content: the record is made by one mknodat (no fd ever enters the
// program's table, not even for two syscalls; works when every fd is in use), changed by one rename and
// settled by one unlink. Under an inherited seccomp filter it is made with openat + close instead, the
// two calls the dynamic loader itself made to load this library under that filter.
//
// Every function keeps errno, uses raw system calls only, allocates nothing and takes no lock, so the
// settle and exec steps may run in a signal handler or a vfork child (which they skip).
#pragma once

#include <sys/types.h>

namespace leakscope::preload::process_record {

enum class StartState {
    Tracked,
    Sandboxed,       // an inherited seccomp filter: not tracked
    SandboxTracked,  // an inherited seccomp filter, tracked on request (LEAKSCOPE_SECCOMP=track)
};

// The constructor of a new image (`argv0` names it). Needs the configuration loaded and
// processStartNs() set. Does nothing when the output directory cannot be had (the snapshots would
// fail too, and say so).
void create(StartState state, const char* argv0) noexcept;
// The child side of fork: the parent's name and state, the child's pid and start.
void createInForkChild() noexcept;
// After the exit, crash or sandbox snapshot was written: the process was judged; the record goes.
void settle() noexcept;
// Before a user switch to `new_euid` (hooked setuid family, or syscall(SYS_set*uid)): the record's
// state becomes uid<N> while the process still has the rights to rename it.
void noteUserSwitch(uid_t new_euid) noexcept;
// A snapshot could not be written (errno `error`): the record's state becomes nowrite<error>, so a
// process that then also fails its final snapshot is reported with the error seen, not a guessed kill.
void noteWriteError(int error) noexcept;
// Before an exec: `.proc-` becomes `.exec-` (following children) or the record goes (not following).
void beforeExec() noexcept;
// The exec failed: the record is what it was before beforeExec().
void execFailed() noexcept;
// A new image whose predecessor (same pid) left its `.exec-` record: removed (a best effort; the
// analyzer settles it by this image's own record or snapshots anyway).
void settlePredecessor(const char* record_path) noexcept;

// The environment entry naming this image's `.exec-` record for the next image ("" when none):
// "LEAKSCOPE_EXEC_RECORD=<path>", valid until the next beforeExec()/execFailed().
const char* predecessorEntry() noexcept;

}  // namespace leakscope::preload::process_record
