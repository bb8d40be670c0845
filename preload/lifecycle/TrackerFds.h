// The fds the tracker itself opens, kept out of the program's way (docs/architecture.md, "Host-safety
// contract: fds", is the full set of rules).
//
// Snapshots are written on a helper with its own copy of the fd table (FdTableCopy.h), so their fds
// never enter the program's table. The fds the tracker still opens in the program's table — a snapshot
// written in place when that helper cannot be started, /proc/self/fd while close_range() or the start
// of tracking lists it, the directory kept by a process that switches user — are moved at once to the
// highest free number below
// min(soft RLIMIT_NOFILE, kTrackerFdCeiling), close-on-exec, and registered here. A program's open()
// returns the lowest free number, so it never meets these; close() of one is answered EBADF (the
// program does not own that number: in a plain run it would not be open) and never pretended;
// close_range()/closefrom() spare them; dup2()/dup3() onto one first moves the tracker's fd away
// (moveTrackerFdAway), then the program's call proceeds. A registration is dropped *before* its fd is
// closed, so no program fd that later gets the number is ever mistaken for the tracker's.
#pragma once

namespace leakscope::preload {

// Above this the kernel would grow the process's fd table (8 bytes per slot) just for us; programs with
// a larger limit and more fds than this open at once may see one number skipped while a snapshot runs.
constexpr int kTrackerFdCeiling = 65536;

// Moves `fd` to the highest free number below the ceiling (close-on-exec) and closes the original, with
// raw syscalls (the hooks never see it). When no higher number is free the fd stays where it is, with
// close-on-exec set. Returns the fd to use. Keeps errno.
int placeTrackerFd(int fd) noexcept;

// A registration: the slot that holds a tracker fd's current number (it changes when the fd is moved
// away from a program's dup2). -1 when the registry is full (the fd is then used unregistered).
int claimTrackerFd(int fd) noexcept;
// The current number of a claimed fd (-1 for slot -1 or a released slot).
int trackerFdInSlot(int slot) noexcept;
// Forgets the slot's number and returns it, for the caller to close afterwards (never the other way
// round: see the header comment). -1 when there was none.
int releaseTrackerFdSlot(int slot) noexcept;

// A claim is made by the calling thread: a longjmp out of a signal handler that abandons that thread's
// tracker frames releases it (releaseTrackerFdsClaimedHere: forget, then close). An fd kept beyond
// the frame that claimed it is marked so: keepTrackerFdForLife(slot).
void keepTrackerFdForLife(int slot) noexcept;
void releaseTrackerFdsClaimedHere() noexcept;
// Only on a helper of the tracker's own that has a copy of the program's fd table (the snapshot helper,
// FdTableCopy.h; the reachability scan's clone) and needs one number when every number is in use: closes the highest
// open fd >= 3 of that copy (the program's fd stays open). False when there was none.
bool closeOneFdOfThisCopy() noexcept;

// True for an fd registered here (and not released since).
bool isPersistentTrackerFd(int fd) noexcept;

// Called by dup2/dup3 before they replace `fd`: when it is a tracker fd, duplicates it to another high
// number and re-points its slot, so the program's dup2 then closes the old number exactly as in a plain
// run (never EBUSY). When no other number is free, the tracker gives the fd up: its slot reads -1 and
// the snapshot being written fails with one warning. A user that keeps the number itself instead of
// reading the slot would keep using the old number: such fds must be scoped, not kept.
// Known window: a write the snapshot writer issued with the old number just before the move can still
// land after the program's dup2.
void moveTrackerFdAway(int fd) noexcept;

}  // namespace leakscope::preload
