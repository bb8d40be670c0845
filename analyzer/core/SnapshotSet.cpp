#include "core/SnapshotSet.h"

#include <algorithm>
#include <filesystem>

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
            for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end; it.increment(ec))
                if (it->is_regular_file() && it->path().extension() == ".lksnap") files.push_back(it->path().string());
            if (ec) return absl::InvalidArgumentError(input + ": cannot read directory: " + ec.message());
            if (files.size() == before) return absl::NotFoundError(input + ": no .lksnap snapshot files in this directory");
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
    SnapshotSetBuilder builder;
    for (const auto& file : *files) {
        auto snapshot = snapshot::readSnapshotFile(file);
        if (!snapshot.ok()) return snapshot.status();
        builder.add(std::move(*snapshot));
    }
    return builder.finish();
}

size_t SnapshotSetBuilder::FramesHash::operator()(const std::vector<uint64_t>& frames) const {
    return absl::HashOf(frames);
}

StackId SnapshotSetBuilder::intern(ProcessSnapshots& process, const snapshot::Snapshot& snapshot, uint32_t raw_id) {
    long index = snapshot.stackIndex(raw_id);
    if (index < 0) return 0;
    const auto& stack = snapshot.stacks[size_t(index)];
    auto& table = interned_[process.pid];
    auto [it, inserted] = table.try_emplace(stack.frames, StackId(process.stacks.size()));
    if (inserted) {
        process.stacks.push_back(stack.frames);
        process.stack_truncated.push_back(stack.truncated);
    }
    return it->second;
}

void SnapshotSetBuilder::add(snapshot::Snapshot snapshot) {
    ++file_count_;
    auto [entry, created] = processes_.try_emplace(snapshot.pid);
    ProcessSnapshots& process = entry->second;
    if (created) {
        process.pid = snapshot.pid;
        process.stacks.emplace_back();  // StackId 0: no stack
        process.stack_truncated.push_back(false);
    }
    if (created || snapshot.sequence >= latest_module_sequence_[snapshot.pid]) {
        latest_module_sequence_[snapshot.pid] = snapshot.sequence;
        process.modules = snapshot.modules;
        process.executable = snapshot.executable;
    }

    SnapshotSummary summary;
    summary.file = snapshot.file;
    summary.label = snapshot.label;
    summary.trigger = snapshot.trigger;
    summary.sequence = snapshot.sequence;
    summary.snapshot_index = snapshot.snapshot_index;
    // Sum per raw stack id first (cheap: a dense vector), then translate each used id once.
    std::vector<LiveUsage> per_raw_id(snapshot.stack_index_by_id.size() + 1);
    for (const auto& allocation : snapshot.allocations) {
        auto& usage = per_raw_id[allocation.stack_id < per_raw_id.size() ? allocation.stack_id : 0];
        usage.count += 1;
        usage.bytes += allocation.size;
    }
    for (uint32_t raw_id = 0; raw_id < per_raw_id.size(); ++raw_id) {
        if (per_raw_id[raw_id].count == 0) continue;
        auto& usage = summary.memory[intern(process, snapshot, raw_id)];
        usage.count += per_raw_id[raw_id].count;
        usage.bytes += per_raw_id[raw_id].bytes;
    }
    for (auto& handle : snapshot.handles) {
        LiveHandle live{handle.record, std::move(handle.path)};
        live.record.stack_id = intern(process, snapshot, handle.record.stack_id);
        summary.handles.push_back(std::move(live));
    }
    for (const auto& event : snapshot.events) {
        LiveEvent live{event};
        live.record.stack_id = intern(process, snapshot, event.stack_id);
        summary.events.push_back(live);
    }
    process.snapshots.push_back(std::move(summary));
}

SnapshotSet SnapshotSetBuilder::finish() {
    SnapshotSet set;
    set.file_count = file_count_;
    for (auto& [pid, process] : processes_) {
        std::stable_sort(process.snapshots.begin(), process.snapshots.end(), [](const auto& a, const auto& b) {
            return a.snapshot_index != b.snapshot_index ? a.snapshot_index < b.snapshot_index : a.sequence < b.sequence;
        });
        set.processes.push_back(std::move(process));
    }
    processes_.clear();
    interned_.clear();
    return set;
}

}  // namespace leakscope::analyzer
