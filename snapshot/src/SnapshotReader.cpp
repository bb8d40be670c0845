#include "leakscope/SnapshotReader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <sstream>

#include "absl/status/status.h"
#include "leakscope/Crc32.h"

namespace leakscope::snapshot {
namespace {

const char* sectionName(uint32_t type) {
    switch (static_cast<SectionType>(type)) {
        case SectionType::Counters: return "Counters";
        case SectionType::Modules: return "Modules";
        case SectionType::Stacks: return "Stacks";
        case SectionType::Allocations: return "Allocations";
        case SectionType::Handles: return "Handles";
        case SectionType::Events: return "Events";
        case SectionType::Strings: return "Strings";
        case SectionType::Reachability: return "Reachability";
        case SectionType::ModuleFiles: return "ModuleFiles";
    }
    return "unknown";
}

// Fixed record size of each known section type; 0 for the variable-length ones.
uint32_t expectedRecordSize(SectionType type) {
    switch (type) {
        case SectionType::Counters: return sizeof(Counters);
        case SectionType::Modules: return sizeof(ModuleRecord);
        case SectionType::Allocations: return sizeof(AllocationRecord);
        case SectionType::Handles: return sizeof(HandleRecord);
        case SectionType::Events: return sizeof(EventRecord);
        case SectionType::Reachability: return sizeof(uint8_t);
        case SectionType::ModuleFiles: return sizeof(ModuleFileRecord);
        case SectionType::Stacks:
        case SectionType::Strings: return 0;
    }
    return 0;
}

std::string fixedString(const char* data, size_t capacity) {
    size_t length = strnlen(data, capacity);
    return std::string(data, length);
}

template <typename T>
T loadAt(std::string_view bytes, size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// Stack ids index a dense table (Snapshot::stack_index_by_id); a preload's stack table never holds
// more than this, and a larger id would only make a corrupt file cost memory.
constexpr uint32_t kLargestStackId = 1u << 24;

// One located payload: where it is in the file, so every later problem can name its byte offset.
struct SectionSpan {
    uint32_t type = 0;
    uint64_t count = 0;
    size_t header_offset = 0;
    size_t payload_offset = 0;
    size_t payload_size = 0;
};

class Decoder {
public:
    // `owner` keeps `bytes` alive; the decoded Snapshot shares it (Snapshot::allocations points into it).
    Decoder(std::shared_ptr<const void> owner, std::string_view bytes, const std::string& name)
        : owner_(std::move(owner)), bytes_(bytes), name_(name) {}

    absl::StatusOr<Snapshot> decode() {
        Snapshot snapshot;
        snapshot.file = name_;
        snapshot.bytes = owner_;
        if (auto status = decodeHeader(snapshot); !status.ok()) return status;
        if (auto status = locateSections(); !status.ok()) return status;
        // Strings first: every other section may refer into it.
        for (const auto& span : spans_)
            if (span.type == uint32_t(SectionType::Strings)) strings_ = bytes_.substr(span.payload_offset, span.payload_size);
        for (const auto& span : spans_) {
            absl::Status status;
            switch (static_cast<SectionType>(span.type)) {
                case SectionType::Counters:
                    if (span.count != 1) return fail("Counters", span.header_offset, "expected exactly one Counters record");
                    snapshot.counters = loadAt<Counters>(bytes_, span.payload_offset);
                    break;
                case SectionType::Modules: status = decodeModules(span, snapshot); break;
                case SectionType::Stacks: status = decodeStacks(span, snapshot); break;
                case SectionType::Allocations:
                    // The largest section by far: not copied, read in place through the shared bytes.
                    snapshot.allocations = RecordView<AllocationRecord>(
                        owner_, reinterpret_cast<const unsigned char*>(bytes_.data()) + span.payload_offset, span.count);
                    break;
                case SectionType::Handles: status = decodeHandles(span, snapshot); break;
                case SectionType::Events:
                    snapshot.events.reserve(span.count);
                    for (uint64_t i = 0; i < span.count; ++i)
                        snapshot.events.push_back(loadAt<EventRecord>(bytes_, span.payload_offset + i * sizeof(EventRecord)));
                    break;
                case SectionType::Strings: break;  // resolved above
                case SectionType::Reachability:
                    snapshot.reachability = std::span<const uint8_t>(
                        reinterpret_cast<const uint8_t*>(bytes_.data()) + span.payload_offset, span.count);
                    break;
                case SectionType::ModuleFiles: break;  // after the loop: it describes the modules
            }
            if (!status.ok()) return status;
        }
        if (auto status = checkStackReferences(snapshot); !status.ok()) return status;
        if (auto status = checkReachability(snapshot); !status.ok()) return status;
        if (auto status = decodeModuleFiles(snapshot); !status.ok()) return status;
        return snapshot;
    }

private:
    absl::Status fail(std::string_view section, size_t offset, std::string_view problem) const {
        std::ostringstream message;
        message << name_ << ": " << section << (section == "header" || section == "trailer" || section == "file" || section == "section table" ? "" : " section")
                << " at byte " << offset << ": " << problem;
        return absl::DataLossError(message.str());
    }

    absl::Status decodeHeader(Snapshot& snapshot) {
        if (bytes_.size() < sizeof(FileHeader) + sizeof(Trailer))
            return fail("file", bytes_.size(), "truncated: " + std::to_string(bytes_.size()) + " bytes is smaller than a header and trailer");
        auto header = loadAt<FileHeader>(bytes_, 0);
        if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) return fail("header", 0, "bad magic, not a leakscope snapshot");
        if (header.version < kOldestReadableVersion || header.version > kFormatVersion)
            return fail("header", offsetof(FileHeader, version), "format version " + std::to_string(header.version) +
                        " is not supported (this reader knows versions " + std::to_string(kOldestReadableVersion) + " to " +
                        std::to_string(kFormatVersion) + ")");
        // Versions 1 and 2 have exactly one header layout; bytes between a longer header and the section table
        // would be covered by no checksum, so a different size is corruption, not an extension.
        if (header.header_size != sizeof(FileHeader))
            return fail("header", offsetof(FileHeader, header_size), "header size " + std::to_string(header.header_size) + ", expected " + std::to_string(sizeof(FileHeader)));
        uint32_t stored_crc = header.header_crc32;
        header.header_crc32 = 0;
        if (crc32(&header, sizeof(header)) != stored_crc) return fail("header", offsetof(FileHeader, header_crc32), "header checksum mismatch");
        if (header.stack_depth_limit > kMaxStackDepth)
            return fail("header", offsetof(FileHeader, stack_depth_limit), "stack depth limit " + std::to_string(header.stack_depth_limit) + " exceeds 256");
        snapshot.trigger = static_cast<Trigger>(header.trigger);
        snapshot.pid = header.pid;
        snapshot.ppid = header.ppid;
        snapshot.realtime_ns = header.realtime_ns;
        snapshot.monotonic_ns = header.monotonic_ns;
        snapshot.process_start_ns = header.process_start_ns;
        snapshot.sequence = header.sequence;
        snapshot.snapshot_index = header.snapshot_index;
        snapshot.stack_depth_limit = header.stack_depth_limit;
        snapshot.label = fixedString(header.label, sizeof(header.label));
        snapshot.executable = fixedString(header.executable, sizeof(header.executable));
        snapshot.version = header.version;
        version_ = header.version;
        section_count_ = header.section_count;
        header_size_ = header.header_size;
        return absl::OkStatus();
    }

    absl::Status locateSections() {
        const size_t trailer_offset = bytes_.size() - sizeof(Trailer);
        size_t offset = header_size_;
        for (uint32_t i = 0; i < section_count_; ++i) {
            if (offset + sizeof(SectionHeader) > trailer_offset)
                return fail("section table", offset, "truncated: section " + std::to_string(i + 1) + " of " + std::to_string(section_count_) + " has no room for its header");
            auto section = loadAt<SectionHeader>(bytes_, offset);
            // No checksum covers a section header (the writer patches it after its payload), so every
            // field of it is checked against the others and against the payload instead: together
            // these rules reject any corruption of a header byte (docs/snapshot-format.md, "Validation").
            // A section type this version does not define is corruption: a new section type would come
            // with a new format version, which this reader refuses before it gets here.
            // Reachability (8) exists from version 2 on, ModuleFiles (9) from version 3 on; in an older
            // file each is as unknown as 10.
            const uint32_t last_type = version_ >= 3   ? kLastSectionType
                                       : version_ == 2 ? uint32_t(SectionType::Reachability)
                                                       : uint32_t(SectionType::Strings);
            if (section.type < uint32_t(SectionType::Counters) || section.type > last_type)
                return fail("section table", offset, "unknown section type " + std::to_string(section.type) + " (section " + std::to_string(i + 1) + " of " + std::to_string(section_count_) + ")");
            const auto type = static_cast<SectionType>(section.type);
            const char* name = sectionName(section.type);
            if (seen_types_ & (1u << section.type)) return fail(name, offset, "section appears twice");
            seen_types_ |= 1u << section.type;
            if (section.reserved != 0) return fail(name, offset + offsetof(SectionHeader, reserved), "reserved field is not zero");
            size_t payload_offset = offset + sizeof(SectionHeader);
            if (section.payload_size > trailer_offset - payload_offset)
                return fail(name, offset, "payload of " + std::to_string(section.payload_size) + " bytes runs past the end of the file (truncated?)");
            uint32_t expected = expectedRecordSize(type);
            if (section.record_size != expected)
                return fail(name, offset, "record size " + std::to_string(section.record_size) + ", expected " + std::to_string(expected));
            if (expected != 0 && (section.count > section.payload_size / expected || section.count * expected != section.payload_size))
                return fail(name, offset, std::to_string(section.count) + " records do not fill " + std::to_string(section.payload_size) + " payload bytes");
            if (type == SectionType::Strings && section.count != section.payload_size)
                return fail(name, offset, "string byte count differs from the payload size");
            if (crc32(bytes_.data() + payload_offset, section.payload_size) != section.payload_crc32)
                return fail(name, payload_offset, "payload checksum mismatch");
            spans_.push_back({section.type, section.count, offset, payload_offset, size_t(section.payload_size)});
            offset = payload_offset + section.payload_size;
        }
        if (offset != trailer_offset) return fail("trailer", offset, "expected the trailer here, the file has " + std::to_string(trailer_offset - offset) + " extra bytes before it");
        auto trailer = loadAt<Trailer>(bytes_, trailer_offset);
        if (std::memcmp(trailer.magic, kTrailerMagic, sizeof(kTrailerMagic)) != 0) return fail("trailer", trailer_offset, "bad trailer magic (truncated or corrupt)");
        if (trailer.file_size != bytes_.size())
            return fail("trailer", trailer_offset, "records a file size of " + std::to_string(trailer.file_size) + " bytes, the file has " + std::to_string(bytes_.size()));
        if (trailer.section_count != section_count_) return fail("trailer", trailer_offset, "section count differs from the header's");
        if (trailer.reserved != 0) return fail("trailer", trailer_offset + offsetof(Trailer, reserved), "reserved field is not zero");
        // Every writer emits these two: Counters is the snapshot's summary, and Strings is always written
        // last by SnapshotWriter::commit() (even when empty). Requiring Strings also makes a Stacks
        // header whose type was corrupted into Strings (both variable-length) a detectable duplicate,
        // and the reverse a detectable absence.
        if (!(seen_types_ & (1u << uint32_t(SectionType::Counters)))) return fail("Counters", header_size_, "section missing");
        if (!(seen_types_ & (1u << uint32_t(SectionType::Strings)))) return fail("Strings", header_size_, "section missing");
        return absl::OkStatus();
    }

    absl::StatusOr<std::string> stringAt(StringRef ref, std::string_view section, size_t offset) const {
        if (ref.offset > strings_.size() || ref.length > strings_.size() - ref.offset)
            return fail(section, offset, "string reference [" + std::to_string(ref.offset) + ", +" + std::to_string(ref.length) + ") is outside the Strings section");
        return std::string(strings_.substr(ref.offset, ref.length));
    }

    absl::Status decodeModules(const SectionSpan& span, Snapshot& snapshot) {
        for (uint64_t i = 0; i < span.count; ++i) {
            size_t offset = span.payload_offset + i * sizeof(ModuleRecord);
            auto record = loadAt<ModuleRecord>(bytes_, offset);
            if (record.build_id_size > kBuildIdCapacity) return fail("Modules", offset, "build-id size " + std::to_string(record.build_id_size) + " exceeds 40");
            auto path = stringAt(record.path, "Modules", offset);
            if (!path.ok()) return path.status();
            Module& module = snapshot.modules.emplace_back();
            module.load_bias = record.load_bias;
            module.start = record.start;
            module.end = record.end;
            module.unloaded_sequence = record.unloaded_sequence;
            module.path = std::move(*path);
            module.build_id.assign(reinterpret_cast<const char*>(record.build_id), record.build_id_size);
        }
        return absl::OkStatus();
    }

    absl::Status decodeStacks(const SectionSpan& span, Snapshot& snapshot) {
        size_t offset = span.payload_offset;
        const size_t end = span.payload_offset + span.payload_size;
        for (uint64_t i = 0; i < span.count; ++i) {
            if (end - offset < sizeof(StackRecordHeader)) return fail("Stacks", offset, "truncated: stack " + std::to_string(i + 1) + " of " + std::to_string(span.count) + " is missing");
            auto header = loadAt<StackRecordHeader>(bytes_, offset);
            if (header.id == 0) return fail("Stacks", offset, "stack id 0 is reserved");
            if (header.depth > kMaxStackDepth) return fail("Stacks", offset, "stack depth " + std::to_string(header.depth) + " exceeds 256");
            size_t frames_offset = offset + sizeof(StackRecordHeader);
            if ((end - frames_offset) / sizeof(uint64_t) < header.depth) return fail("Stacks", offset, "stack frames run past the section end");
            Stack stack;
            stack.id = header.id;
            stack.truncated = (header.flags & kStackTruncated) != 0;
            stack.frames.resize(header.depth);
            if (header.depth) std::memcpy(stack.frames.data(), bytes_.data() + frames_offset, header.depth * sizeof(uint64_t));
            if (header.id >= snapshot.stack_index_by_id.size()) {
                if (header.id > kLargestStackId) return fail("Stacks", offset, "stack id " + std::to_string(header.id) + " is implausibly large");
                snapshot.stack_index_by_id.resize(size_t(header.id) + 1, -1);
            }
            if (snapshot.stack_index_by_id[header.id] != -1) return fail("Stacks", offset, "stack id " + std::to_string(header.id) + " appears twice");
            snapshot.stack_index_by_id[header.id] = long(snapshot.stacks.size());
            snapshot.stacks.push_back(std::move(stack));
            offset = frames_offset + header.depth * sizeof(uint64_t);
        }
        if (offset != end) return fail("Stacks", offset, std::to_string(end - offset) + " bytes left after the last stack");
        return absl::OkStatus();
    }

    absl::Status decodeHandles(const SectionSpan& span, Snapshot& snapshot) {
        for (uint64_t i = 0; i < span.count; ++i) {
            size_t offset = span.payload_offset + i * sizeof(HandleRecord);
            auto record = loadAt<HandleRecord>(bytes_, offset);
            auto path = stringAt(record.path, "Handles", offset);
            if (!path.ok()) return path.status();
            snapshot.handles.push_back({record, std::move(*path)});
        }
        return absl::OkStatus();
    }

    // Every non-zero stack id a record names must be in the Stacks section, so later stages never
    // have to ask "what if it is not".
    absl::Status checkStackReferences(const Snapshot& snapshot) const {
        auto offsetOf = [&](SectionType type) {
            for (const auto& span : spans_)
                if (span.type == uint32_t(type)) return span.payload_offset;
            return size_t(0);
        };
        size_t index = 0;
        for (const AllocationRecord& allocation : snapshot.allocations) {
            uint32_t id = allocation.stack_id;
            if (id != 0 && snapshot.stackIndex(id) < 0)
                return fail("Allocations", offsetOf(SectionType::Allocations) + index * sizeof(AllocationRecord), "refers to stack id " + std::to_string(id) + " that is not in the Stacks section");
            ++index;
        }
        for (size_t i = 0; i < snapshot.handles.size(); ++i) {
            uint32_t id = snapshot.handles[i].record.stack_id;
            if (id != 0 && snapshot.stackIndex(id) < 0)
                return fail("Handles", offsetOf(SectionType::Handles) + i * sizeof(HandleRecord), "refers to stack id " + std::to_string(id) + " that is not in the Stacks section");
        }
        for (size_t i = 0; i < snapshot.events.size(); ++i) {
            uint32_t id = snapshot.events[i].stack_id;
            if (id != 0 && snapshot.stackIndex(id) < 0)
                return fail("Events", offsetOf(SectionType::Events) + i * sizeof(EventRecord), "refers to stack id " + std::to_string(id) + " that is not in the Stacks section");
        }
        return absl::OkStatus();
    }

    // The Reachability section and the reachability counters agree with each other and with the
    // allocations: one known class per allocation, present exactly when the status says Classified.
    // (Version-1 files have neither: their counters' bytes at 152..167 were reserved and written zero.)
    absl::Status checkReachability(Snapshot& snapshot) const {
        size_t counters_offset = 0, reachability_offset = 0, reachability_header = 0;
        bool present = false;
        for (const auto& span : spans_) {
            if (span.type == uint32_t(SectionType::Counters)) counters_offset = span.payload_offset;
            if (span.type == uint32_t(SectionType::Reachability)) {
                present = true;
                reachability_offset = span.payload_offset;
                reachability_header = span.header_offset;
            }
        }
        if (version_ < 2) {
            // Reserved in version 1: whatever a version-1 writer left there means nothing.
            snapshot.counters.reachability_status = 0;
            snapshot.counters.reachability_scan_ns = 0;
            return absl::OkStatus();
        }
        const uint64_t status = snapshot.counters.reachability_status;
        const size_t status_offset = counters_offset + offsetof(Counters, reachability_status);
        if (status > kLastReachabilityStatus)
            return fail("Counters", status_offset, "unknown reachability status " + std::to_string(status));
        const bool classified = status == uint64_t(ReachabilityStatus::Classified);
        if (classified && !present)
            return fail("Counters", status_offset, "reachability status says classified but the Reachability section is missing");
        if (!present) return absl::OkStatus();
        if (!classified)
            return fail("Reachability", reachability_header, std::string("present although the reachability status is ") +
                        reachabilityStatusName(status));
        if (snapshot.reachability.size() != snapshot.allocations.size())
            return fail("Reachability", reachability_header, std::to_string(snapshot.reachability.size()) + " classes for " +
                        std::to_string(snapshot.allocations.size()) + " allocations");
        for (size_t i = 0; i < snapshot.reachability.size(); ++i)
            if (snapshot.reachability[i] > kLastReachability)
                return fail("Reachability", reachability_offset + i, "unknown class " + std::to_string(snapshot.reachability[i]) +
                            " for allocation " + std::to_string(i));
        return absl::OkStatus();
    }

    // The ModuleFiles section (version 3): one record per module, in the Modules section's order, each
    // with a known status. Without it (older versions, or a writer that took no fingerprints) every
    // module's file is unknown.
    absl::Status decodeModuleFiles(Snapshot& snapshot) const {
        for (const auto& span : spans_) {
            if (span.type != uint32_t(SectionType::ModuleFiles)) continue;
            if (span.count != snapshot.modules.size())
                return fail("ModuleFiles", span.header_offset, std::to_string(span.count) + " records for " +
                            std::to_string(snapshot.modules.size()) + " modules");
            for (uint64_t i = 0; i < span.count; ++i) {
                const size_t offset = span.payload_offset + i * sizeof(ModuleFileRecord);
                const auto record = loadAt<ModuleFileRecord>(bytes_, offset);
                if (record.status > kLastModuleFileStatus)
                    return fail("ModuleFiles", offset + offsetof(ModuleFileRecord, status),
                                "unknown status " + std::to_string(record.status) + " for module " + std::to_string(i));
                Module& module = snapshot.modules[i];
                module.file_error = record.error;
                if (record.status == uint32_t(ModuleFileStatus::Recorded))
                    module.file = ModuleFile{record.size, record.mtime_ns, record.device, record.inode};
            }
        }
        return absl::OkStatus();
    }

    std::shared_ptr<const void> owner_;
    std::string_view bytes_;
    const std::string& name_;
    std::string_view strings_;
    std::vector<SectionSpan> spans_;
    uint32_t seen_types_ = 0;  // bit per SectionType already located
    uint32_t version_ = 0;
    uint32_t section_count_ = 0;
    uint32_t header_size_ = 0;
};

}  // namespace

absl::StatusOr<Snapshot> parseSnapshot(std::string_view bytes, const std::string& name) {
    auto copy = std::make_shared<const std::string>(bytes);
    std::string_view view(*copy);
    return Decoder(std::move(copy), view, name).decode();
}

absl::StatusOr<Snapshot> readSnapshotFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::NotFoundError(path + ": cannot open: " + std::strerror(errno));
    struct stat status;
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        return absl::InvalidArgumentError(path + ": not a regular file");
    }
    // Read into a private buffer, not mapped: a mapping of a file that another process truncates while
    // we read it (or while its allocation records are still in use) kills the reader with SIGBUS, and
    // snapshot directories are read while programs still run. A file that shrinks under the read is
    // reported as a truncated snapshot; bytes it gained afterwards are not read.
    const size_t size = size_t(status.st_size);
    std::shared_ptr<char[]> buffer(new (std::nothrow) char[size ? size : 1]);
    if (!buffer) {
        ::close(fd);
        return absl::ResourceExhaustedError(path + ": cannot allocate " + std::to_string(size) + " bytes to read it");
    }
    size_t got = 0;
    while (got < size) {
        const ssize_t read = ::pread(fd, buffer.get() + got, size - got, off_t(got));
        if (read < 0 && errno == EINTR) continue;
        if (read < 0) {
            const int error = errno;
            ::close(fd);
            return absl::DataLossError(path + ": read failed: " + std::strerror(error));
        }
        if (read == 0) break;  // the file shrank while it was read
        got += size_t(read);
    }
    ::close(fd);
    const std::string_view bytes(buffer.get(), got);
    return Decoder(std::shared_ptr<const void>(buffer, buffer.get()), bytes, path).decode();
}

const char* triggerName(Trigger trigger) {
    switch (trigger) {
        case Trigger::Api: return "api";
        case Trigger::External: return "external";
        case Trigger::Interval: return "interval";
        case Trigger::Exit: return "exit";
        case Trigger::Crash: return "crash";
        case Trigger::Sandbox: return "sandbox";
    }
    return "unknown";
}

const char* handleKindName(uint16_t kind) {
    static const char* const kNames[] = {"unknown", "file", "socket", "pipe_read", "pipe_write", "eventfd", "epoll",
                                         "timerfd", "signalfd", "inotify", "memfd", "directory", "duplicate"};
    return kind < std::size(kNames) ? kNames[kind] : "unknown";
}

const char* eventKindName(uint16_t kind) {
    switch (static_cast<EventKind>(kind)) {
        case EventKind::BadFree: return "bad_free";
        case EventKind::BadClose: return "bad_close";
        case EventKind::DoubleClose: return "double_close";
        case EventKind::FailedAllocation: return "failed_allocation";
        case EventKind::InjectedFailure: return "injected_failure";
        case EventKind::InvalidFdClose: return "invalid_fd_close";
        case EventKind::UnopenedFdClose: return "unopened_fd_close";
    }
    return "unknown";
}

std::vector<std::string> handleFlagNames(uint16_t flags) {
    static const std::pair<uint16_t, const char*> kFlags[] = {
        {kHandleInherited, "inherited"}, {kHandleUntracked, "untracked"}, {kHandleCloexec, "cloexec"},
        {kHandleStdio, "stdio"},         {kHandleAccepted, "accepted"},   {kHandleSocketPair, "socketpair"}};
    std::vector<std::string> names;
    for (const auto& [bit, name] : kFlags)
        if (flags & bit) names.emplace_back(name);
    return names;
}

}  // namespace leakscope::snapshot
