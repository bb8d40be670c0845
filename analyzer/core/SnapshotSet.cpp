#include "core/SnapshotSet.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <future>
#include <thread>
#include <tuple>

#include "absl/hash/hash.h"
#include "absl/status/status.h"

namespace leakscope::analyzer {

namespace fs = std::filesystem;

const SnapshotSummary* ProcessSnapshots::exitSnapshot() const {
    for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it)
        if (it->isExit()) return &*it;
    return nullptr;
}

absl::StatusOr<std::vector<std::string>> listSnapshotFiles(const std::vector<std::string>& inputs) {
    std::vector<std::string> files;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (fs::is_directory(input, ec)) {
            size_t before = files.size();
            // Names starting with '.' are the writer's temporaries (".tmp-…", renamed when complete): one
            // left by a run killed mid-snapshot is not a snapshot, and never was one.
            // A directory with process records and no snapshot (every process killed before its first
            // one) is a run to report: its processes are "not judged", with the reason (ProcessRecords.h).
            bool records = false;
            for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end; it.increment(ec)) {
                if (!it->is_regular_file()) continue;
                const std::string name = it->path().filename().string();
                if (it->path().extension() == ".lksnap" && !name.starts_with("."))
                    files.push_back(it->path().string());
                else
                    records = records || isProcessRecordName(name);
            }
            if (ec) return absl::InvalidArgumentError(input + ": cannot read directory: " + ec.message());
            if (files.size() == before && !records)
                return absl::NotFoundError(input + ": no .lksnap snapshot files in this directory");
        } else if (fs::exists(input, ec)) {
            files.push_back(input);
        } else {
            return absl::NotFoundError(input + ": no such file or directory");
        }
    }
    std::stable_sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() < fs::path(b).filename();
    });
    return files;
}

absl::StatusOr<SnapshotSet> loadSnapshotSet(const std::vector<std::string>& inputs) {
    auto files = listSnapshotFiles(inputs);
    if (!files.ok()) return files.status();
    // A small window of files is read ahead on worker threads while this thread interns them in file
    // order: the result (and which error is reported first) is the same as a sequential load, and only
    // `window` files' summaries exist at once, however many files there are.
    const size_t window = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
    std::deque<std::future<absl::StatusOr<SummedSnapshot>>> pending;
    size_t next = 0;
    auto launch = [&] {
        pending.push_back(std::async(std::launch::async, [file = (*files)[next++]]() -> absl::StatusOr<SummedSnapshot> {
            auto snapshot = snapshot::readSnapshotFile(file);
            if (!snapshot.ok()) return snapshot.status();
            return sumSnapshot(std::move(*snapshot));
        }));
    };
    // A file that cannot be read (corrupt, truncated, vanished) is set aside with its one-line reason
    // and the rest is analysed: one bad file of a killed run must not hide every other snapshot.
    SnapshotSetBuilder builder;
    std::vector<std::string> unreadable;
    while (next < files->size() && pending.size() < window) launch();
    while (!pending.empty()) {
        auto summed = pending.front().get();
        pending.pop_front();
        if (next < files->size()) launch();
        if (!summed.ok()) {
            unreadable.emplace_back(summed.status().message());
            continue;
        }
        builder.add(std::move(*summed));
    }
    if (!files->empty() && unreadable.size() == files->size())
        return absl::DataLossError(unreadable.front() +
                                   (files->size() > 1 ? " (and every other of the " + std::to_string(files->size()) +
                                                            " snapshot files is unreadable too)"
                                                      : ""));
    SnapshotSet set = builder.finish();
    set.records = listProcessRecords(inputs, unreadable);
    set.unreadable = std::move(unreadable);
    return set;
}

SummedSnapshot sumSnapshot(snapshot::Snapshot snapshot) {
    SummedSnapshot summed;
    // A dense vector indexed by the file's stack id: the reader has checked every id is in range.
    summed.per_raw_id.resize(snapshot.stack_index_by_id.size() + 1);
    for (const snapshot::AllocationRecord& allocation : snapshot.allocations) {
        auto& usage = summed.per_raw_id[allocation.stack_id < summed.per_raw_id.size() ? allocation.stack_id : 0];
        usage.count += 1;
        usage.bytes += allocation.size;
    }
    // A classified snapshot keeps each block with its class: which blocks count for a finding depends on
    // its onset, known only after the growth rule ran (docs/analysis.md, "Reachability in findings").
    if (snapshot.classified()) {
        summed.classified = true;
        summed.blocks.reserve(snapshot.allocations.size());
        size_t i = 0;
        for (const snapshot::AllocationRecord& allocation : snapshot.allocations)
            summed.blocks.push_back({allocation.stack_id, uint8_t(snapshot.reachabilityOf(i++)), allocation.sequence, allocation.size});
    }
    snapshot.allocations = {};  // the records are summed: let the file's bytes go
    snapshot.reachability = {};
    snapshot.bytes.reset();
    summed.snapshot = std::move(snapshot);
    return summed;
}

size_t SnapshotSetBuilder::FramesHash::operator()(const std::vector<uint64_t>& frames) const {
    return absl::HashOf(frames);
}

std::vector<SnapshotSetBuilder::ModuleRange> SnapshotSetBuilder::moduleRanges(const ProcessKey& key,
                                                                            const snapshot::Snapshot& snapshot) {
    auto& identities = module_identities_[key];
    std::vector<ModuleRange> ranges;
    for (const auto& module : snapshot.modules) {
        // The build-id names the file's contents wherever and under whatever path it was loaded; without
        // one, the path and (version 3) the file's recorded size, mtime and inode: a plugin rebuilt and
        // loaded again from the same path is another module.
        std::string identity = "build-id:" + module.build_id;
        if (module.build_id.empty()) {
            identity = "path:" + module.path;
            if (module.file)
                identity += "\n" + std::to_string(module.file->size) + ":" + std::to_string(module.file->mtime_ns) + ":" +
                            std::to_string(module.file->device) + ":" + std::to_string(module.file->inode);
        }
        uint64_t number = identities.try_emplace(identity, identities.size() + 1).first->second;
        ModuleRange range{module.start, module.end, module.load_bias, number};
        // A loaded module goes after an unloaded one of the same start, so the lookup below finds it first.
        if (module.unloaded_sequence == 0) ranges.push_back(range);
        else ranges.insert(ranges.begin(), range);
    }
    std::stable_sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    return ranges;
}

StackId SnapshotSetBuilder::intern(ProcessSnapshots& process, const snapshot::Snapshot& snapshot,
                                   const std::vector<ModuleRange>& ranges, uint32_t raw_id) {
    long index = snapshot.stackIndex(raw_id);
    if (index < 0) return 0;
    const auto& stack = snapshot.stacks[size_t(index)];
    // Key: (module identity, offset) per frame; (0, address) for an address outside every module.
    std::vector<uint64_t> key;
    key.reserve(2 * stack.frames.size());
    for (size_t i = 0; i < stack.frames.size(); ++i) {
        uint64_t address = stack.frames[i];
        uint64_t lookup = i > 0 && address > 0 ? address - 1 : address;  // a return address belongs to its call
        auto after = std::upper_bound(ranges.begin(), ranges.end(), lookup, [](uint64_t a, const ModuleRange& r) { return a < r.start; });
        const ModuleRange* owner = nullptr;
        for (auto it = after; it != ranges.begin() && !owner;) {
            --it;
            if (lookup < it->end) owner = &*it;
            if (after - it >= 4) break;  // ranges barely overlap: the owner is among the last few starts
        }
        key.push_back(owner ? owner->identity : 0);
        key.push_back(owner ? address - owner->load_bias : address);
    }
    auto& table = interned_[{process.pid, process.start_ns}];
    auto [it, inserted] = table.try_emplace(std::move(key), StackId(process.stacks.size()));
    if (inserted) {
        process.stacks.push_back(stack.frames);
        process.stack_truncated.push_back(stack.truncated);
    }
    return it->second;
}

namespace {

// Every module load the process's stacks may point into: the latest list, plus loads an earlier snapshot
// listed that the latest one does not (a stack interned then keeps that load's addresses).
void keepEarlierLoads(std::vector<snapshot::Module>& modules, const std::vector<snapshot::Module>& earlier) {
    for (const auto& module : earlier) {
        bool listed = std::any_of(modules.begin(), modules.end(), [&](const snapshot::Module& m) {
            return m.start == module.start && m.end == module.end && m.path == module.path && m.load_bias == module.load_bias &&
                   m.build_id == module.build_id && m.file == module.file;
        });
        if (!listed) modules.push_back(module);
    }
}

}  // namespace

void SnapshotSetBuilder::add(SummedSnapshot summed) {
    snapshot::Snapshot& snapshot = summed.snapshot;
    const std::vector<LiveUsage>& per_raw_id = summed.per_raw_id;
    ++file_count_;
    const ProcessKey key{snapshot.pid, snapshot.process_start_ns};
    auto [entry, created] = processes_.try_emplace(key);
    ProcessSnapshots& process = entry->second;
    if (created) {
        process.pid = snapshot.pid;
        process.start_ns = snapshot.process_start_ns;
        process.stacks.emplace_back();  // StackId 0: no stack
        process.stack_truncated.push_back(false);
    }
    if (created || snapshot.sequence >= latest_module_sequence_[key]) {
        latest_module_sequence_[key] = snapshot.sequence;
        auto earlier = std::move(process.modules);
        process.modules = snapshot.modules;
        keepEarlierLoads(process.modules, earlier);
        process.executable = snapshot.executable;
    } else {
        keepEarlierLoads(process.modules, snapshot.modules);
    }
    const auto ranges = moduleRanges(key, snapshot);

    SnapshotSummary summary;
    summary.file = snapshot.file;
    summary.label = snapshot.label;
    summary.trigger = snapshot.trigger;
    summary.sequence = snapshot.sequence;
    summary.snapshot_index = snapshot.snapshot_index;
    summary.counters = snapshot.counters;
    // Summed per raw stack id already (sumSnapshot); translate each used id once.
    std::vector<StackId> interned(per_raw_id.size(), 0);
    for (uint32_t raw_id = 0; raw_id < per_raw_id.size(); ++raw_id) {
        if (per_raw_id[raw_id].count == 0) continue;
        interned[raw_id] = intern(process, snapshot, ranges, raw_id);
        auto& usage = summary.memory[interned[raw_id]];
        usage.count += per_raw_id[raw_id].count;
        usage.bytes += per_raw_id[raw_id].bytes;
    }
    summary.classified = summed.classified;
    for (auto& handle : snapshot.handles) {
        LiveHandle live{handle.record, std::move(handle.path)};
        live.record.stack_id = intern(process, snapshot, ranges, handle.record.stack_id);
        summary.handles.push_back(std::move(live));
    }
    for (const auto& event : snapshot.events) {
        LiveEvent live{event};
        live.record.stack_id = intern(process, snapshot, ranges, event.stack_id);
        summary.events.push_back(live);
    }
    process.snapshots.push_back(std::move(summary));
    if (summed.classified) keepClassifiedBlocks(key, process, std::move(summed.blocks), interned);
}

void SnapshotSetBuilder::keepClassifiedBlocks(const ProcessKey& key, ProcessSnapshots& process, std::vector<ClassifiedBlock> blocks,
                                              const std::vector<StackId>& interned) {
    // Only the latest classified snapshot of a label keeps its blocks: per-cycle classification of 100
    // snapshots would otherwise hold every block of every one of them.
    const size_t added = process.snapshots.size() - 1;
    auto later = [&](size_t a, size_t b) {
        const auto &x = process.snapshots[a], &y = process.snapshots[b];
        return std::tie(x.snapshot_index, x.sequence) > std::tie(y.snapshot_index, y.sequence);
    };
    auto [keeper, first] = classified_keeper_[key].try_emplace(process.snapshots[added].label, added);
    if (!first) {
        if (!later(added, keeper->second)) return;
        std::vector<ClassifiedBlock>().swap(process.snapshots[keeper->second].blocks);
        process.snapshots[keeper->second].blocks_kept = false;
        keeper->second = added;
    }
    for (auto& block : blocks) block.stack = block.stack < interned.size() ? interned[block.stack] : 0;
    std::sort(blocks.begin(), blocks.end(), stackThenSequence);
    process.snapshots[added].blocks = std::move(blocks);
    process.snapshots[added].blocks_kept = true;
}

SnapshotSet SnapshotSetBuilder::finish() {
    SnapshotSet set;
    set.file_count = file_count_;
    for (auto& [key, process] : processes_) {
        std::stable_sort(process.snapshots.begin(), process.snapshots.end(), [](const auto& a, const auto& b) {
            return a.snapshot_index != b.snapshot_index ? a.snapshot_index < b.snapshot_index : a.sequence < b.sequence;
        });
        set.processes.push_back(std::move(process));
    }
    processes_.clear();
    interned_.clear();
    classified_keeper_.clear();
    module_identities_.clear();
    return set;
}

}  // namespace leakscope::analyzer
