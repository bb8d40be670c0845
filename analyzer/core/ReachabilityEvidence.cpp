#include "core/ReachabilityEvidence.h"

#include <algorithm>
#include <numeric>

#include "core/Reachability.h"
#include "leakscope/snapshot_format.h"

namespace leakscope::analyzer {
namespace {

using Status = FindingReachability::Status;

std::string snapshotName(const SnapshotSummary& snapshot) {
    return "'" + snapshot.label + "' snapshot #" + std::to_string(snapshot.snapshot_index);
}

// Why a snapshot carries no classes, from the preload's reachability_status counter.
std::string unclassifiedReason(const SnapshotSummary& snapshot) {
    switch (snapshot::ReachabilityStatus(snapshot.counters.reachability_status)) {
    case snapshot::ReachabilityStatus::Skipped: return "the scan of the " + snapshotName(snapshot) + " was skipped (the heap was too large to classify in time)";
    case snapshot::ReachabilityStatus::Failed: return "the scan of the " + snapshotName(snapshot) + " could not run";
    default: return "the " + snapshotName(snapshot) + " was not classified";
    }
}

// Sums the classes of `stack`'s blocks allocated at or after `first_sequence` into `into`.
void tally(const SnapshotSummary& evidence, StackId stack, uint64_t first_sequence, FindingReachability& into) {
    const ClassifiedBlock from{.stack = stack, .reachability = 0, .sequence = first_sequence, .size = 0};
    for (auto it = std::lower_bound(evidence.blocks.begin(), evidence.blocks.end(), from, stackThenSequence);
         it != evidence.blocks.end() && it->stack == stack; ++it) {
        size_t klass = std::min<size_t>(it->reachability, kReachabilityClasses - 1);
        into.bytes[klass] += it->size;
        into.blocks[klass] += 1;
    }
}

}  // namespace

FindingReachability growthReachability(const ProcessSnapshots& process, const std::vector<const SnapshotSummary*>& series,
                                       size_t onset, const std::vector<StackId>& stacks, double bytes_per_cycle) {
    FindingReachability reachability;
    reachability.status = Status::NotClassified;
    const uint64_t onset_sequence = series.at(onset)->sequence;
    // The series' own last classified snapshot is the one that keeps its blocks (SnapshotSetBuilder); a
    // lifecycle snapshot sees the program's locals and threads alive, which an exit snapshot does not.
    const SnapshotSummary* evidence = nullptr;
    for (size_t i = series.size(); i-- > onset + 1 && !evidence;)
        if (series[i]->classified && series[i]->blocks_kept) evidence = series[i];
    const SnapshotSummary* exit = process.exitSnapshot();
    if (!evidence && exit && exit->classified && exit->blocks_kept && exit->sequence > onset_sequence) evidence = exit;
    if (!evidence) {
        // Name the first snapshot whose scan was skipped or failed; else say that none was classified.
        std::vector<const SnapshotSummary*> candidates(series.begin() + long(onset) + 1, series.end());
        if (exit) candidates.push_back(exit);
        for (const SnapshotSummary* snapshot : candidates)
            if (snapshot->counters.reachability_status >= uint64_t(snapshot::ReachabilityStatus::Skipped)) {
                reachability.reason = unclassifiedReason(*snapshot);
                break;
            }
        if (reachability.reason.empty())
            reachability.reason = "no snapshot of this process taken after the growth began was classified";
        splitPerCycle(reachability, bytes_per_cycle);
        return reachability;
    }
    reachability.snapshot_label = evidence->label;
    reachability.snapshot_index = evidence->snapshot_index;
    for (StackId stack : stacks) tally(*evidence, stack, onset_sequence, reachability);
    if (std::accumulate(reachability.blocks.begin(), reachability.blocks.end(), uint64_t(0)) == 0) {
        reachability.status = Status::Freed;
        reachability.reason = "none of its blocks allocated since the growth began is live in the classified " + snapshotName(*evidence);
    } else {
        reachability.status = Status::Classified;
    }
    splitPerCycle(reachability, bytes_per_cycle);
    return reachability;
}

FindingReachability exitReachability(const SnapshotSummary& exit, StackId stack) {
    FindingReachability reachability;
    reachability.snapshot_label = exit.label;
    reachability.snapshot_index = exit.snapshot_index;
    if (!exit.classified || !exit.blocks_kept) {
        reachability.status = Status::NotClassified;
        reachability.reason = unclassifiedReason(exit);
        return reachability;
    }
    reachability.status = Status::Classified;
    tally(exit, stack, 0, reachability);
    return reachability;
}

}  // namespace leakscope::analyzer
