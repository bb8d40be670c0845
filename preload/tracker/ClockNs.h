// A clock read in nanoseconds, without allocating (hooks, signal handlers, the scan's clone).
// clock_gettime is vDSO-backed and async-signal-safe (POSIX.1-2008). One copy for the whole preload.
#pragma once

#include <cstdint>
#include <ctime>

namespace leakscope::preload {

// `clock`: CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID... Nanoseconds since its epoch.
inline uint64_t clockNs(clockid_t clock) noexcept {
    timespec now{};
    clock_gettime(clock, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
}

inline uint64_t monotonicNs() noexcept { return clockNs(CLOCK_MONOTONIC); }

}  // namespace leakscope::preload
