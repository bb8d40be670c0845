// Which classified snapshot speaks for a finding, and the valgrind classes of the finding's blocks in
// it (docs/analysis.md, "Reachability in findings"). The classes come from the snapshots (snapshot
// format, section Reachability): a finding whose process has no usable classified snapshot is
// "reachability not classified", never lost or reachable.
#pragma once

#include <vector>

#include "core/Report.h"
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {

// A memory growth of the stacks `stacks` in `series` (one label's snapshots of `process`, in order),
// growing from series[onset] on at `bytes_per_cycle`. The evidence is the last classified snapshot of
// the series after the onset, else the process's exit snapshot when it is classified (and later than
// the onset); the blocks counted are those of `stacks` allocated after series[onset] (sequence at least
// its sequence) and live in the evidence. Not classified (with the reason) when there is no evidence;
// Freed when the evidence holds none of those blocks.
FindingReachability growthReachability(const ProcessSnapshots& process, const std::vector<const SnapshotSummary*>& series,
                                       size_t onset, const std::vector<StackId>& stacks, double bytes_per_cycle);

// The classes of the blocks of `stack` live in `exit` (an exit leak): valgrind's classes per stack.
FindingReachability exitReachability(const SnapshotSummary& exit, StackId stack);

}  // namespace leakscope::analyzer
