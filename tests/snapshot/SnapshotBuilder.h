// Test-only: builds valid snapshot files (snapshot_format.h) from a few calls, so the reader and the
// analyzer can be tested without the preload. Independent of the preload's writer on purpose: if the
// two disagree about the format, one of the tests fails.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "leakscope/snapshot_format.h"

namespace leakscope::testing {

class SnapshotBuilder {
public:
    SnapshotBuilder(uint64_t pid, std::string label, uint64_t sequence);

    SnapshotBuilder& trigger(snapshot::Trigger trigger);
    SnapshotBuilder& index(uint32_t snapshot_index);
    SnapshotBuilder& executable(std::string path);
    SnapshotBuilder& module(std::string path, uint64_t load_bias, uint64_t start, uint64_t end, std::string build_id = "");
    // Adds a ModuleFiles record (version 3); the section is written once any was added, with as many
    // records as were added (tests may add fewer or more than modules).
    SnapshotBuilder& moduleFile(const snapshot::ModuleFileRecord& record);
    // The same for a file recorded with these fields (status Recorded).
    SnapshotBuilder& moduleFile(uint64_t size, int64_t mtime_ns, uint64_t device, uint64_t inode);
    // Adds a stack (id must be > 0 and new); frames innermost first.
    SnapshotBuilder& stack(uint32_t id, std::vector<uint64_t> frames, bool truncated = false);
    SnapshotBuilder& allocation(uint64_t address, uint64_t size, uint64_t sequence, uint32_t stack_id, uint32_t thread = 1);
    SnapshotBuilder& handle(int32_t fd, snapshot::HandleKind kind, uint64_t sequence, uint32_t stack_id, uint16_t flags = 0,
                            std::string path = "", int32_t a = 0, int32_t b = 0, int32_t c = 0);
    SnapshotBuilder& event(snapshot::EventKind kind, uint64_t sequence, uint32_t stack_id, uint64_t value = 0, uint64_t size = 0);
    // One class per allocation (raw bytes, so tests can also write invalid ones): adds the Reachability
    // section and, unless reachabilityStatus() says otherwise, sets the status to Classified.
    SnapshotBuilder& reachability(std::vector<uint8_t> classes, uint64_t scan_ns = 1000);
    // Overrides Counters::reachability_status (also without a Reachability section: skipped, failed).
    SnapshotBuilder& reachabilityStatus(snapshot::ReachabilityStatus status, uint64_t scan_ns = 0);
    // Sets one counter the builder does not derive from the records (events_dropped, bad_closes, ...).
    SnapshotBuilder& counter(uint64_t snapshot::Counters::*field, uint64_t value);
    // Writes another format version (1: the layout before reachability, 2: before ModuleFiles; a
    // Reachability or ModuleFiles section is then written anyway, so tests can check that it is rejected).
    SnapshotBuilder& version(uint32_t version);

    // The file's bytes; section_offsets() then gives where each section header starts.
    std::string bytes();
    const std::vector<size_t>& sectionOffsets() const { return section_offsets_; }
    // Writes bytes() to dir/<name as the preload would name it>; returns the path.
    std::string writeTo(const std::string& dir);

private:
    uint32_t addString(const std::string& text);

    snapshot::FileHeader header_{};
    std::vector<snapshot::ModuleRecord> modules_;
    bool has_module_files_ = false;
    std::vector<snapshot::ModuleFileRecord> module_files_;
    std::string stacks_;
    uint64_t stack_count_ = 0;
    std::vector<snapshot::AllocationRecord> allocations_;
    std::vector<snapshot::HandleRecord> handles_;
    std::vector<snapshot::EventRecord> events_;
    std::string strings_;
    bool has_reachability_ = false;
    std::vector<uint8_t> reachability_;
    bool has_status_ = false;
    uint64_t reachability_status_ = 0;
    uint64_t scan_ns_ = 0;
    std::vector<size_t> section_offsets_;
    std::vector<std::pair<uint64_t snapshot::Counters::*, uint64_t>> counters_set_;
};

}  // namespace leakscope::testing
