// When the tool thread takes its next interval snapshot (LEAKSCOPE_INTERVAL_MS, `attach --interval`).
//
// Ticks are on a fixed grid start + k * interval of CLOCK_MONOTONIC nanoseconds. Only an interval
// snapshot moves the grid on: an external request (`leakscope snap`) answered between two ticks
// leaves the next tick where it was, so a run with requests has exactly as many interval snapshots as
// one without. (The loop used to step the deadline on every wake-up, so each request cost one tick.)
// A tick that is late (the snapshot took longer than the interval, the machine was busy) is taken at
// once, and the ticks missed meanwhile are dropped, as a periodic timer counts them as one overrun
// (timerfd, POSIX timers): the next tick is the first grid point after the snapshot ended. Taking
// them all instead would keep the tool thread snapshotting back to back whenever a snapshot is slower
// than the interval, and a thread that needs the snapshot lock (fork) would starve behind it.
// Pure arithmetic on integers: no clock is read here, so it is unit-tested (tests/unit).
#pragma once

#include <cstdint>

namespace leakscope::preload {

class IntervalSchedule {
public:
    // `start_ns`: now, when the thread starts; `interval_ns` > 0.
    constexpr IntervalSchedule(uint64_t start_ns, uint64_t interval_ns) noexcept
        : interval_ns_(interval_ns), next_ns_(start_ns + interval_ns) {}

    // Nanoseconds to wait at `now_ns` before the next tick is due; 0 when it is due.
    constexpr uint64_t waitFrom(uint64_t now_ns) const noexcept { return now_ns >= next_ns_ ? 0 : next_ns_ - now_ns; }

    // The tick that was due has been taken, ending at `now_ns`: the next one is the first grid point
    // after it.
    constexpr void tickTaken(uint64_t now_ns) noexcept {
        next_ns_ += interval_ns_;
        if (next_ns_ <= now_ns) next_ns_ += ((now_ns - next_ns_) / interval_ns_ + 1) * interval_ns_;
    }

    constexpr uint64_t nextTickNs() const noexcept { return next_ns_; }

private:
    uint64_t interval_ns_;
    uint64_t next_ns_;
};

}  // namespace leakscope::preload
