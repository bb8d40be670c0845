#include "SnapshotBuilder.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "leakscope/Crc32.h"

namespace leakscope::testing {

using namespace leakscope::snapshot;

SnapshotBuilder::SnapshotBuilder(uint64_t pid, std::string label, uint64_t sequence) {
    std::memcpy(header_.magic, kMagic, sizeof(kMagic));
    header_.version = kFormatVersion;
    header_.header_size = sizeof(FileHeader);
    header_.trigger = uint32_t(Trigger::Api);
    header_.pid = pid;
    header_.ppid = 1;
    header_.sequence = sequence;
    header_.realtime_ns = 1'700'000'000'000'000'000ull + sequence;
    header_.monotonic_ns = sequence;
    header_.stack_depth_limit = 32;
    std::strncpy(header_.label, label.c_str(), sizeof(header_.label) - 1);
    std::strncpy(header_.executable, "/usr/bin/synthetic", sizeof(header_.executable) - 1);
    if (label == "exit") header_.trigger = uint32_t(Trigger::Exit);
}

SnapshotBuilder& SnapshotBuilder::trigger(Trigger trigger) {
    header_.trigger = uint32_t(trigger);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::index(uint32_t snapshot_index) {
    header_.snapshot_index = snapshot_index;
    return *this;
}

SnapshotBuilder& SnapshotBuilder::executable(std::string path) {
    std::memset(header_.executable, 0, sizeof(header_.executable));
    std::strncpy(header_.executable, path.c_str(), sizeof(header_.executable) - 1);
    return *this;
}

uint32_t SnapshotBuilder::addString(const std::string& text) {
    uint32_t offset = uint32_t(strings_.size());
    strings_ += text;
    return offset;
}

SnapshotBuilder& SnapshotBuilder::module(std::string path, uint64_t load_bias, uint64_t start, uint64_t end, std::string build_id) {
    ModuleRecord record{};
    record.load_bias = load_bias;
    record.start = start;
    record.end = end;
    record.path = {addString(path), uint32_t(path.size())};
    record.build_id_size = uint32_t(std::min(build_id.size(), kBuildIdCapacity));
    std::memcpy(record.build_id, build_id.data(), record.build_id_size);
    modules_.push_back(record);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::moduleFile(const ModuleFileRecord& record) {
    has_module_files_ = true;
    module_files_.push_back(record);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::moduleFile(uint64_t size, int64_t mtime_ns, uint64_t device, uint64_t inode) {
    ModuleFileRecord record{};
    record.size = size;
    record.mtime_ns = mtime_ns;
    record.device = device;
    record.inode = inode;
    record.status = uint32_t(ModuleFileStatus::Recorded);
    return moduleFile(record);
}

SnapshotBuilder& SnapshotBuilder::stack(uint32_t id, std::vector<uint64_t> frames, bool truncated) {
    StackRecordHeader header{id, uint16_t(frames.size()), uint16_t(truncated ? kStackTruncated : 0)};
    stacks_.append(reinterpret_cast<const char*>(&header), sizeof(header));
    stacks_.append(reinterpret_cast<const char*>(frames.data()), frames.size() * sizeof(uint64_t));
    ++stack_count_;
    return *this;
}

SnapshotBuilder& SnapshotBuilder::allocation(uint64_t address, uint64_t size, uint64_t sequence, uint32_t stack_id, uint32_t thread) {
    allocations_.push_back({address, size, sequence, stack_id, thread});
    return *this;
}

SnapshotBuilder& SnapshotBuilder::handle(int32_t fd, HandleKind kind, uint64_t sequence, uint32_t stack_id, uint16_t flags,
                                         std::string path, int32_t a, int32_t b, int32_t c) {
    HandleRecord record{};
    record.fd = fd;
    record.kind = uint16_t(kind);
    record.flags = flags;
    record.sequence = sequence;
    record.stack_id = stack_id;
    record.thread_id = 1;
    record.detail_a = a;
    record.detail_b = b;
    record.detail_c = c;
    record.path = {addString(path), uint32_t(path.size())};
    handles_.push_back(record);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::event(EventKind kind, uint64_t sequence, uint32_t stack_id, uint64_t value, uint64_t size) {
    EventRecord record{};
    record.kind = uint16_t(kind);
    record.stack_id = stack_id;
    record.sequence = sequence;
    record.value = value;
    record.size = size;
    record.thread_id = 1;
    events_.push_back(record);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::reachability(std::vector<uint8_t> classes, uint64_t scan_ns) {
    has_reachability_ = true;
    reachability_ = std::move(classes);
    if (!has_status_) scan_ns_ = scan_ns;
    return *this;
}

SnapshotBuilder& SnapshotBuilder::reachabilityStatus(ReachabilityStatus status, uint64_t scan_ns) {
    has_status_ = true;
    reachability_status_ = uint64_t(status);
    scan_ns_ = scan_ns;
    return *this;
}

SnapshotBuilder& SnapshotBuilder::counter(uint64_t Counters::*field, uint64_t value) {
    counters_set_.emplace_back(field, value);
    return *this;
}

SnapshotBuilder& SnapshotBuilder::version(uint32_t version) {
    header_.version = version;
    return *this;
}

std::string SnapshotBuilder::bytes() {
    std::string body;
    section_offsets_.clear();
    uint32_t sections = 0;
    auto addSection = [&](SectionType type, uint32_t record_size, uint64_t count, const void* data, size_t size) {
        section_offsets_.push_back(sizeof(FileHeader) + body.size());
        SectionHeader header{uint32_t(type), record_size, count, size, crc32(data, size), 0};
        body.append(reinterpret_cast<const char*>(&header), sizeof(header));
        body.append(static_cast<const char*>(data), size);
        ++sections;
    };
    Counters counters{};
    counters.live_allocations = allocations_.size();
    for (const auto& a : allocations_) counters.live_bytes += a.size;
    counters.live_handles = handles_.size();
    counters.stacks = stack_count_;
    if (has_status_) counters.reachability_status = reachability_status_;
    else if (has_reachability_) counters.reachability_status = uint64_t(ReachabilityStatus::Classified);
    counters.reachability_scan_ns = scan_ns_;
    for (const auto& [field, value] : counters_set_) counters.*field = value;
    addSection(SectionType::Counters, sizeof(Counters), 1, &counters, sizeof(counters));
    addSection(SectionType::Modules, sizeof(ModuleRecord), modules_.size(), modules_.data(), modules_.size() * sizeof(ModuleRecord));
    if (has_module_files_)
        addSection(SectionType::ModuleFiles, sizeof(ModuleFileRecord), module_files_.size(), module_files_.data(),
                   module_files_.size() * sizeof(ModuleFileRecord));
    addSection(SectionType::Stacks, 0, stack_count_, stacks_.data(), stacks_.size());
    addSection(SectionType::Allocations, sizeof(AllocationRecord), allocations_.size(), allocations_.data(), allocations_.size() * sizeof(AllocationRecord));
    addSection(SectionType::Handles, sizeof(HandleRecord), handles_.size(), handles_.data(), handles_.size() * sizeof(HandleRecord));
    addSection(SectionType::Events, sizeof(EventRecord), events_.size(), events_.data(), events_.size() * sizeof(EventRecord));
    if (has_reachability_)
        addSection(SectionType::Reachability, 1, reachability_.size(), reachability_.data(), reachability_.size());
    addSection(SectionType::Strings, 0, strings_.size(), strings_.data(), strings_.size());

    FileHeader header = header_;
    header.section_count = sections;
    header.header_crc32 = 0;
    header.header_crc32 = crc32(&header, sizeof(header));
    Trailer trailer{};
    std::memcpy(trailer.magic, kTrailerMagic, sizeof(kTrailerMagic));
    trailer.file_size = sizeof(FileHeader) + body.size() + sizeof(Trailer);
    trailer.section_count = sections;
    std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
    out += body;
    out.append(reinterpret_cast<const char*>(&trailer), sizeof(trailer));
    return out;
}

std::string SnapshotBuilder::writeTo(const std::string& dir) {
    char name[160];
    std::snprintf(name, sizeof(name), "/%020llu-%llu-%06u-%s.lksnap", (unsigned long long)header_.realtime_ns,
                  (unsigned long long)header_.pid, header_.snapshot_index, header_.label);
    std::string path = dir + name;
    std::ofstream(path, std::ios::binary) << bytes();
    return path;
}

}  // namespace leakscope::testing
