// The sandbox trigger: the program is about to install a seccomp filter (prctl(PR_SET_SECCOMP) or
// seccomp(2), seen by the hooks in ProcessHooks.cpp). A filter may forbid any system call the tool
// makes (openat, rename, getdents64, readlink, fcntl...), and a forbidden one kills the process with
// SIGSYS (losing its buffered stdout) or fails. Nothing the tool does can be probed safely once the
// filter is in (a probe is a system call too), so the tool acts before it goes in: the tool thread is
// stopped for good (a TSYNC filter would apply to it), a last snapshot with trigger `sandbox` is
// written, and from then on no snapshot is attempted — the report reads the `sandbox` snapshot as the
// process's last one (docs/snapshot-format.md, "Sandboxes").
//
// A filter can also be in force before the preload starts: installed by a parent before it exec'd the
// program (that parent's own preload wrote its `sandbox` snapshot then), or by systemd's
// SystemCallFilter=. inheritedSeccompFilter() sees it in /proc/self/status at start, and unless the
// user asked to track such processes (LEAKSCOPE_SECCOMP=track) stayOutOfInheritedSandbox() turns the
// same things off before the tool makes any call of its own choosing (the process record, made with
// the loader's own openat and close, excepted: lifecycle/ProcessRecord.h).
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "lifecycle/Triggers.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {
std::atomic<bool> gSandboxed{false};
}

bool sandboxed() noexcept { return gSandboxed.load(std::memory_order_acquire); }

namespace triggers {

bool inheritedSeccompFilter() noexcept {
    // The same calls, with the same flags, as the dynamic loader made to load this very library, so a
    // filter that let the program start lets these through too.
    const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // no /proc: nothing to go by; the filter, if any, is not seen
    char text[8192];
    size_t used = 0;
    for (long got = 1; got > 0 && used < sizeof(text) - 1; used += static_cast<size_t>(got))
        if ((got = syscall(SYS_read, fd, text + used, sizeof(text) - 1 - used)) < 0) break;
    syscall(SYS_close, fd);
    text[used] = '\0';
    // "Seccomp:\t2" (filter mode). Mode 1 (strict) allows no exec, so it cannot be inherited.
    const char* field = std::strstr(text, "\nSeccomp:");
    if (!field) return false;
    field += std::strlen("\nSeccomp:");
    while (*field == ' ' || *field == '\t') ++field;
    return *field >= '1' && *field <= '2';
}

void stayOutOfInheritedSandbox() noexcept { gSandboxed.store(true, std::memory_order_release); }

void enterSandbox() noexcept {
    if (sandboxed()) return;
    pauseToolThread();
    takeSnapshot("sandbox", snapshot::Trigger::Sandbox);
    gSandboxed.store(true, std::memory_order_release);
}

void sandboxNotEntered() noexcept {
    if (!gSandboxed.exchange(false, std::memory_order_acq_rel)) return;
    resumeToolThread();
}

}  // namespace triggers
}  // namespace leakscope::preload
