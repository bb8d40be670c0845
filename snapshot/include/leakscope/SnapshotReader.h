// The validating snapshot reader: turns the bytes of a *.lksnap file (snapshot_format.h) into an
// in-memory Snapshot, checking every byte it uses first. A file that is truncated, corrupt, of another
// version, or internally inconsistent gives an absl::Status whose message is one line naming the file,
// the section and the byte offset of the first problem found; the reader never crashes on bad input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "leakscope/snapshot_format.h"

namespace leakscope::snapshot {

// A module's file as the preload's stat(2) saw it when it first saw the module (ModuleFileRecord).
struct ModuleFile {
    uint64_t size = 0;     // bytes
    int64_t mtime_ns = 0;  // ns since the epoch
    uint64_t device = 0;   // st_dev
    uint64_t inode = 0;    // st_ino
    bool operator==(const ModuleFile&) const = default;
};

struct Module {
    uint64_t load_bias = 0;
    uint64_t start = 0;
    uint64_t end = 0;
    uint64_t unloaded_sequence = 0;
    std::string path;
    std::string build_id;  // raw bytes (build_id_size of them)
    // The file it was loaded from (version 3); nullopt when the snapshot does not say (an older version,
    // the vDSO, a stat that failed: `file_error` is then its errno, else 0).
    std::optional<ModuleFile> file;
    uint32_t file_error = 0;
};

struct Stack {
    uint32_t id = 0;
    bool truncated = false;
    std::vector<uint64_t> frames;  // innermost first; every frame, frame 0 too, is a return address (ReturnAddress.h)
};

struct Handle {
    HandleRecord record;  // record.path is resolved into `path`
    std::string path;
};

// A validated array of fixed-size records read in place from the file's bytes (the reader's buffer, or
// the reader's own copy for parseSnapshot): a million allocations are not copied, only walked. It
// shares ownership of those bytes, so it stays valid as long as any copy of it lives. Records are
// loaded with memcpy because a section payload need not be aligned in the file.
template <typename Record>
class RecordView {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Record;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Record;
        iterator() = default;
        explicit iterator(const unsigned char* at) : at_(at) {}
        Record operator*() const { return load(at_); }
        iterator& operator++() { at_ += sizeof(Record); return *this; }
        iterator operator++(int) { iterator old = *this; ++*this; return old; }
        bool operator==(const iterator&) const = default;

    private:
        const unsigned char* at_ = nullptr;
    };

    RecordView() = default;
    RecordView(std::shared_ptr<const void> owner, const unsigned char* data, size_t count)
        : owner_(std::move(owner)), data_(data), count_(count) {}

    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    Record operator[](size_t index) const { return load(data_ + index * sizeof(Record)); }
    iterator begin() const { return iterator(data_); }
    iterator end() const { return iterator(data_ + count_ * sizeof(Record)); }

private:
    static Record load(const unsigned char* at) {
        Record record;
        std::memcpy(&record, at, sizeof(Record));
        return record;
    }
    std::shared_ptr<const void> owner_;
    const unsigned char* data_ = nullptr;
    size_t count_ = 0;
};

struct Snapshot {
    std::string file;  // where it was read from (as given)
    uint32_t version = kFormatVersion;  // the file's format version (1 to kFormatVersion)
    Trigger trigger = Trigger::Api;
    uint64_t pid = 0;
    uint64_t ppid = 0;
    uint64_t realtime_ns = 0;
    uint64_t monotonic_ns = 0;
    uint64_t process_start_ns = 0;
    uint64_t sequence = 0;
    uint32_t snapshot_index = 0;
    uint32_t stack_depth_limit = 0;
    std::string label;
    std::string executable;
    Counters counters{};
    std::vector<Module> modules;
    std::vector<Stack> stacks;  // in file order; stackIndex() finds one by id
    RecordView<AllocationRecord> allocations;  // in place: the file's bytes stay in memory while this lives
    // The Reachability section: reachability[i] is the class (a Reachability value, validated <= 4) of
    // allocations[i]. Empty when the file has no classes (version 1, or counters.reachability_status is
    // not Classified); otherwise exactly allocations.size() bytes. Points into `bytes`.
    std::span<const uint8_t> reachability;
    std::shared_ptr<const void> bytes;  // owns the file's bytes that `allocations` and `reachability` view
    std::vector<Handle> handles;
    std::vector<EventRecord> events;

    // Index into `stacks` of the stack with this id, or -1 (id 0 or unknown). O(1) after reading.
    long stackIndex(uint32_t id) const {
        return id < stack_index_by_id.size() ? stack_index_by_id[id] : -1;
    }
    std::vector<long> stack_index_by_id;  // built by the reader

    // The class of allocations[index]; NotClassified when the snapshot has no classes.
    Reachability reachabilityOf(size_t index) const {
        return index < reachability.size() ? static_cast<Reachability>(reachability[index]) : Reachability::NotClassified;
    }
    // True when every allocation has a class (the reader guarantees the section is then present, even
    // with zero allocations).
    bool classified() const { return counters.reachability_status == uint64_t(ReachabilityStatus::Classified); }
};

// Reads (into one private buffer, never mapped: a file truncated under the reader is a truncated
// snapshot, not SIGBUS) and validates `path`. Errors: NotFound when the file cannot be opened,
// InvalidArgument when it is not a regular file, DataLoss for every corruption (message:
// "<path>: <section> section at byte <offset>: <problem>").
absl::StatusOr<Snapshot> readSnapshotFile(const std::string& path);

// Validates and decodes snapshot bytes already in memory (copied once, so `bytes` need not outlive the
// result); `name` stands for the file in messages.
absl::StatusOr<Snapshot> parseSnapshot(std::string_view bytes, const std::string& name);

// Names used in messages and in `leakscope show`.
const char* triggerName(Trigger trigger);
const char* handleKindName(uint16_t kind);
const char* eventKindName(uint16_t kind);
std::vector<std::string> handleFlagNames(uint16_t flags);

}  // namespace leakscope::snapshot
