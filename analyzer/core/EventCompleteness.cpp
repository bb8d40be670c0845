#include "core/EventCompleteness.h"

namespace leakscope::analyzer {
namespace {

using snapshot::EventKind;

// Event kinds the preload counts in one counter (one or two; 0 is no kind), and the people's name of
// their list.
struct CountedList {
    const char* name;
    EventKind kinds[2];
    uint64_t snapshot::Counters::*counter;
};

// The counters that say how many events of each kind the process had (snapshot_format.h, Counters).
// invalid_fd_closes and unopened_fd_closes are newer within version 2: older files have 0 there, and
// their dropped events are said as "of other kinds" below.
const CountedList kLists[] = {
    {"bad closes (bad_close, double_close)", {EventKind::BadClose, EventKind::DoubleClose}, &snapshot::Counters::bad_closes},
    {"invalid fd closes (invalid_fd_close)", {EventKind::InvalidFdClose, {}}, &snapshot::Counters::invalid_fd_closes},
    {"closes of fds never opened (unopened_fd_close)", {EventKind::UnopenedFdClose, {}}, &snapshot::Counters::unopened_fd_closes},
    {"bad frees (bad_free)", {EventKind::BadFree, {}}, &snapshot::Counters::bad_frees},
    {"failed allocations (failed_allocation)", {EventKind::FailedAllocation, {}}, &snapshot::Counters::failed_allocations},
    {"injected failures (injected_failure)", {EventKind::InjectedFailure, {}}, &snapshot::Counters::injected_failures},
};

}  // namespace

std::string withThousands(uint64_t value) {
    std::string digits = std::to_string(value);
    for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(size_t(i), ",");
    return digits;
}

uint64_t occurrencesOf(const snapshot::EventRecord& event) {
    return event.kind == uint16_t(EventKind::UnopenedFdClose) && event.size > 0 ? event.size : 1;
}

// " event" or " events", after a count written with withThousands (Plural.h's counted() has no separators).
static const char* events(uint64_t count) { return count == 1 ? " event" : " events"; }

std::string incompleteEventLists(const SnapshotSummary& last) {
    const uint64_t dropped = last.counters.events_dropped;
    if (dropped == 0) return "";
    std::string lists;
    uint64_t attributed = 0;
    for (const auto& list : kLists) {
        uint64_t stored = 0;
        for (const auto& event : last.events)
            for (EventKind kind : list.kinds)
                if (kind != EventKind{} && event.record.kind == uint16_t(kind)) stored += occurrencesOf(event.record);
        const uint64_t counted = last.counters.*list.counter;
        if (counted <= stored) continue;
        lists += (lists.empty() ? "" : "; ") + std::string(list.name) + ": " + withThousands(counted) + " counted, " +
                 withThousands(stored) + " stored";
        attributed += counted - stored;
    }
    if (dropped > attributed)
        lists += (lists.empty() ? "" : "; ") + withThousands(dropped - attributed) + events(dropped - attributed) + " of other kinds not stored";
    return lists + ": " + withThousands(dropped) + events(dropped) +
           " were counted but not stored (the preload's event store was full), so these lists are "
           "incomplete: their counts per stack are lower bounds and stacks of the events not stored are not shown";
}

}  // namespace leakscope::analyzer
