// The snapshots of a run, loaded, validated and reduced to what the analysis needs: per process, each
// snapshot's live memory summed per stack (the raw allocation records are dropped once summed, so 100
// snapshots of 100,000 allocations cost a few MB, not GBs), its handles and its events. Stacks are
// interned per process by their frames as (module identity, offset in the module): the same call path
// has the same id in every snapshot of that process whatever ids the preload's table gave it, and a
// plugin dlclose'd and dlopen'ed again at another address every cycle is still one call path.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/ProcessRecords.h"
#include "leakscope/SnapshotReader.h"

namespace leakscope::analyzer {

using StackId = uint32_t;  // per-process interned stack; 0 = no stack

struct LiveUsage {
    uint64_t count = 0;
    uint64_t bytes = 0;
};

struct LiveHandle {
    snapshot::HandleRecord record;  // record.stack_id is replaced by the interned StackId
    std::string path;
};

struct LiveEvent {
    snapshot::EventRecord record;  // record.stack_id is the interned StackId
};

// One live block of a classified snapshot with its class (snapshot::Reachability as its byte value).
// Kept only where a report can use it (SnapshotSummary::blocks), ordered by (stack, sequence).
struct ClassifiedBlock {
    StackId stack = 0;
    uint8_t reachability = 0;
    uint64_t sequence = 0;
    uint64_t size = 0;
};
// The order of SnapshotSummary::blocks: a stack's blocks together, oldest first.
inline bool stackThenSequence(const ClassifiedBlock& a, const ClassifiedBlock& b) {
    return a.stack != b.stack ? a.stack < b.stack : a.sequence < b.sequence;
}

struct SnapshotSummary {
    std::string file;
    std::string label;
    snapshot::Trigger trigger = snapshot::Trigger::Api;
    uint64_t sequence = 0;
    uint32_t snapshot_index = 0;
    absl::flat_hash_map<StackId, LiveUsage> memory;  // live allocations per stack
    std::vector<LiveHandle> handles;
    std::vector<LiveEvent> events;
    snapshot::Counters counters{};                   // the preload's counters when it was written
    // Reachability (docs/analysis.md, "Reachability in findings"): the file carried classes for its
    // blocks. `blocks` holds them only for the last classified snapshot of each label (the evidence a
    // report can use: a series' last one, the exit snapshot); for the others it is released while loading.
    bool classified = false;
    bool blocks_kept = false;                        // `blocks` holds every block of this classified snapshot
    std::vector<ClassifiedBlock> blocks;             // sorted by stackThenSequence; see above
    bool isExit() const { return trigger == snapshot::Trigger::Exit || label == "exit"; }
};

// A process is (pid, start_ns): an exec keeps the pid, and two runs (a container's PID 1) reuse it, but
// the preload initialises again in each image, so its start time (snapshot header process_start_ns,
// CLOCK_MONOTONIC) differs.
using ProcessKey = std::pair<uint64_t, uint64_t>;  // (pid, start_ns)

struct ProcessSnapshots {
    uint64_t pid = 0;
    uint64_t start_ns = 0;
    std::string executable;
    std::vector<snapshot::Module> modules;          // the latest snapshot's, plus any earlier load it no longer lists
    std::vector<std::vector<uint64_t>> stacks;      // StackId -> raw frames of its first sighting (index 0 unused)
    std::vector<bool> stack_truncated;
    std::vector<SnapshotSummary> snapshots;         // ordered by snapshot_index
    const SnapshotSummary* exitSnapshot() const;    // nullptr when the process did not exit normally
    const SnapshotSummary& lastSnapshot() const { return snapshots.back(); }
};

struct SnapshotSet {
    std::vector<ProcessSnapshots> processes;  // ordered by (pid, start_ns)
    size_t file_count = 0;                    // files read
    std::vector<std::string> unreadable;      // files skipped, one line each: "<path>: <what is wrong>"
    std::vector<ProcessRecord> records;       // the process records in the input directories
};

// Expands directories (every *.lksnap below them, recursively, except names starting with '.': the
// writer's temporaries) and keeps files as given; sorted by file name (= time order). Error when an
// input does not exist or a directory holds neither a snapshot nor a process record (a run whose
// processes were all killed before their first snapshot lists no file and is still a run to report).
absl::StatusOr<std::vector<std::string>> listSnapshotFiles(const std::vector<std::string>& inputs);

// Reads every file and summarises it, a few files at a time in parallel (reading, validating and
// summing a file is independent of the others; only interning stacks is ordered). An unreadable or
// corrupt file is skipped and named in SnapshotSet::unreadable; error (the first file's reason) only
// when no file could be read.
absl::StatusOr<SnapshotSet> loadSnapshotSet(const std::vector<std::string>& inputs);

// One parsed snapshot with its allocations already summed per raw (file) stack id and the records
// themselves released: the part of loading that needs no shared state, so it runs on worker threads.
struct SummedSnapshot {
    snapshot::Snapshot snapshot;         // allocations emptied (its file mapping released)
    std::vector<LiveUsage> per_raw_id;   // indexed by the file's stack id; [0] = no stack
    bool classified = false;             // the file had a Reachability section
    std::vector<ClassifiedBlock> blocks; // classified: every block, `stack` still the file's raw stack id
};
SummedSnapshot sumSnapshot(snapshot::Snapshot snapshot);

// Adds one already-parsed snapshot (used by loadSnapshotSet and by tests); call finish() after the last.
class SnapshotSetBuilder {
public:
    void add(snapshot::Snapshot snapshot) { add(sumSnapshot(std::move(snapshot))); }
    void add(SummedSnapshot summed);
    SnapshotSet finish();

private:
    struct FramesHash {
        size_t operator()(const std::vector<uint64_t>& frames) const;
    };
    struct ModuleRange {
        uint64_t start, end, load_bias, identity;
    };
    std::vector<ModuleRange> moduleRanges(const ProcessKey& key, const snapshot::Snapshot& snapshot);
    StackId intern(ProcessSnapshots& process, const snapshot::Snapshot& snapshot, const std::vector<ModuleRange>& ranges,
                   uint32_t raw_id);
    // Gives the snapshot just added its classified blocks (raw stack ids translated by `interned`) when it
    // is its label's latest classified one, releasing the blocks of the one it replaces.
    void keepClassifiedBlocks(const ProcessKey& key, ProcessSnapshots& process, std::vector<ClassifiedBlock> blocks,
                              const std::vector<StackId>& interned);

    std::map<ProcessKey, ProcessSnapshots> processes_;
    std::map<ProcessKey, absl::flat_hash_map<std::vector<uint64_t>, StackId, FramesHash>> interned_;
    std::map<ProcessKey, uint64_t> latest_module_sequence_;
    // Per process and label, the position in ProcessSnapshots::snapshots of the classified snapshot that
    // keeps its blocks (the latest by index and sequence); the others' blocks are released.
    std::map<ProcessKey, std::map<std::string, size_t>> classified_keeper_;
    // Module identity (build-id, else path) -> small number, per process: the first half of a frame's key.
    std::map<ProcessKey, std::map<std::string, uint64_t>> module_identities_;
    size_t file_count_ = 0;
};

}  // namespace leakscope::analyzer
