// The sandbox trigger: the program is about to install a seccomp filter (prctl(PR_SET_SECCOMP) or
// seccomp(2), seen by the hooks in ProcessHooks.cpp). A filter may forbid any system call the tool
// makes (openat, rename, getdents64, readlink, fcntl...), and a forbidden one kills the process with
// SIGSYS (losing its buffered stdout) or fails. Nothing the tool does can be probed safely once the
// filter is in (a probe is a system call too), so the tool acts before it goes in: the tool thread is
// stopped for good (a TSYNC filter would apply to it), a last snapshot with trigger `sandbox` is
// written, and from then on no snapshot is attempted — the report reads the `sandbox` snapshot as the
// process's last one (docs/snapshot-format.md, "Sandboxes").
#include <atomic>

#include "lifecycle/Triggers.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {
std::atomic<bool> gSandboxed{false};
}

bool sandboxed() noexcept { return gSandboxed.load(std::memory_order_acquire); }

namespace triggers {

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
