// Whether the event lists of a process are complete. The preload stores the first 256 events of each
// kind (preload/tables/EventStore.h) and counts every one; when its store was full, the snapshot's
// `events_dropped` counter says how many were counted but not stored. The bad_close, bad_free, ...
// findings are built from the stored events only, so their counts per stack are then lower bounds and
// some stacks may be missing: a gate that passes over such a list has not judged what was dropped.
// Said as a `not_judged` entry (what: "events"), so no verdict reads plain "clean" over it.
#pragma once

#include <cstdint>
#include <string>

#include "core/Report.h"
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {

// One line for people naming each incomplete list with its counted and stored numbers ("bad closes
// (bad_close, double_close): 4,091 counted, 256 stored"), what that means for the lists, and how many
// events in all were not stored; "" when `last` (a process's last snapshot, whose counters and events
// are cumulative) dropped nothing.
std::string incompleteEventLists(const SnapshotSummary& last);

// How many of a stored event's occurrences it stands for: a close of an fd never held is stored once
// per stack with the number of such closes in `size` (snapshot_format.h, EventKind::UnopenedFdClose).
uint64_t occurrencesOf(const snapshot::EventRecord& event);

// 4091 -> "4,091".
std::string withThousands(uint64_t value);

}  // namespace leakscope::analyzer
