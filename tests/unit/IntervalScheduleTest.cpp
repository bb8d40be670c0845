// The tool thread's interval grid (preload/lifecycle/IntervalSchedule.h): an external request between
// two ticks must not cost a tick, and late ticks keep the grid.
#include <catch2/catch.hpp>

#include "lifecycle/IntervalSchedule.h"

using leakscope::preload::IntervalSchedule;

namespace {
constexpr uint64_t kMs = 1000000;
}

TEST_CASE("the first tick is one interval after the start", "[interval]") {
    IntervalSchedule schedule(5 * kMs, 100 * kMs);
    CHECK(schedule.waitFrom(5 * kMs) == 100 * kMs);
    CHECK(schedule.waitFrom(60 * kMs) == 45 * kMs);
    CHECK(schedule.waitFrom(105 * kMs) == 0);
    CHECK(schedule.waitFrom(500 * kMs) == 0);
}

TEST_CASE("a request answered between ticks leaves the next tick where it was", "[interval]") {
    IntervalSchedule schedule(0, 100 * kMs);
    // The thread woke at 30 ms for a request and answered it (no tickTaken): it waits for 100 ms again,
    // not for 130 ms, and so on for any number of requests.
    for (uint64_t wake : {30 * kMs, 31 * kMs, 99 * kMs}) {
        CHECK(schedule.waitFrom(wake) == 100 * kMs - wake);
        CHECK(schedule.nextTickNs() == 100 * kMs);
    }
    // Wake-ups every 3.5 ms (requests) until 1050 ms: the ticks due at 100, 200 … 1000 ms, ten.
    int ticks = 0;
    for (uint64_t now = 0; now <= 1050 * kMs; now += 7 * kMs / 2) {
        if (schedule.waitFrom(now) == 0) {
            ++ticks;
            schedule.tickTaken(now);
        }
    }
    CHECK(ticks == 10);
}

TEST_CASE("a late tick is taken at once, the ticks missed meanwhile are dropped, the grid is kept", "[interval]") {
    IntervalSchedule schedule(0, 100 * kMs);
    CHECK(schedule.waitFrom(250 * kMs) == 0);  // the tick due at 100 ms, taken late
    schedule.tickTaken(250 * kMs);             // and it ended at 250 ms: the 200 ms tick is dropped
    CHECK(schedule.nextTickNs() == 300 * kMs);
    CHECK(schedule.waitFrom(250 * kMs) == 50 * kMs);
    // A snapshot slower than the interval (350 ms for a 100 ms interval) leaves the thread idle until
    // the next grid point instead of starting the next snapshot at once.
    CHECK(schedule.waitFrom(300 * kMs) == 0);
    schedule.tickTaken(650 * kMs);
    CHECK(schedule.nextTickNs() == 700 * kMs);
    // Exactly on a grid point: that point counts as passed.
    CHECK(schedule.waitFrom(700 * kMs) == 0);
    schedule.tickTaken(800 * kMs);
    CHECK(schedule.nextTickNs() == 900 * kMs);
    // On time: the next grid point.
    CHECK(schedule.waitFrom(900 * kMs) == 0);
    schedule.tickTaken(903 * kMs);
    CHECK(schedule.nextTickNs() == 1000 * kMs);
}
