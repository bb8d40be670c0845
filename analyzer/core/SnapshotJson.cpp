#include "core/SnapshotJson.h"

#include <sys/socket.h>

#include <cstring>

#include "core/Hex.h"

namespace leakscope::analyzer {
namespace {

std::string socketDomainName(int domain) {
    switch (domain) {
        case AF_UNIX: return "AF_UNIX";
        case AF_INET: return "AF_INET";
        case AF_INET6: return "AF_INET6";
        case AF_NETLINK: return "AF_NETLINK";
        case AF_PACKET: return "AF_PACKET";
        default: return "AF_" + std::to_string(domain);
    }
}

std::string socketTypeName(int type) {
    switch (type) {
        case SOCK_STREAM: return "SOCK_STREAM";
        case SOCK_DGRAM: return "SOCK_DGRAM";
        case SOCK_RAW: return "SOCK_RAW";
        case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
        default: return "SOCK_" + std::to_string(type);
    }
}

nlohmann::json countersToJson(const snapshot::Counters& c) {
    return {{"allocations", c.allocations},         {"frees", c.frees},
            {"reallocations", c.reallocations},     {"bytes_allocated", c.bytes_allocated},
            {"bytes_freed", c.bytes_freed},         {"live_allocations", c.live_allocations},
            {"live_bytes", c.live_bytes},           {"peak_live_bytes", c.peak_live_bytes},
            {"handles_opened", c.handles_opened},   {"handles_closed", c.handles_closed},
            {"live_handles", c.live_handles},       {"bad_frees", c.bad_frees},
            {"bad_closes", c.bad_closes},           {"failed_allocations", c.failed_allocations},
            {"injected_failures", c.injected_failures}, {"events_dropped", c.events_dropped},
            {"stacks", c.stacks},                   {"stack_table_full", c.stack_table_full},
            {"untracked_handles", c.untracked_handles},
            {"invalid_fd_closes", c.invalid_fd_closes}, {"unopened_fd_closes", c.unopened_fd_closes},
            {"snapshot_requests_merged", c.snapshot_requests_merged},
            {"reachability_status", snapshot::reachabilityStatusName(c.reachability_status)},
            {"reachability_scan_ns", c.reachability_scan_ns}};
}

}  // namespace

std::string handleDetails(const snapshot::HandleRecord& record, const std::string& path) {
    if (record.kind == uint16_t(snapshot::HandleKind::Socket))
        return socketDomainName(record.detail_a) + " " + socketTypeName(record.detail_b) + " " + std::to_string(record.detail_c);
    return path;
}

nlohmann::json frameToJson(const SymbolizedFrame& frame) {
    return {{"address", hexAddress(frame.address)}, {"function", frame.function}, {"file", frame.file},
            {"line", frame.line}, {"module", frame.module}, {"inlined", frame.inlined}};
}

nlohmann::json snapshotToJson(const snapshot::Snapshot& s, Symbolizer& symbolizer) {
    // The file's version, not this reader's: a version-1 file has no reachability counters or classes.
    nlohmann::json out = {{"format_version", s.version}, {"file", s.file}, {"label", s.label},
                          {"trigger", snapshot::triggerName(s.trigger)}, {"pid", s.pid}, {"ppid", s.ppid},
                          {"snapshot_index", s.snapshot_index}, {"sequence", s.sequence}, {"realtime_ns", s.realtime_ns},
                          {"monotonic_ns", s.monotonic_ns}, {"process_start_ns", s.process_start_ns},
                          {"stack_depth_limit", s.stack_depth_limit}, {"executable", s.executable},
                          {"counters", countersToJson(s.counters)}};
    auto& modules = out["modules"] = nlohmann::json::array();
    for (const auto& m : s.modules) {
        modules.push_back({{"path", m.path}, {"build_id", hexBytes(m.build_id)}, {"load_bias", hexAddress(m.load_bias)},
                           {"start", hexAddress(m.start)}, {"end", hexAddress(m.end)}, {"unloaded_sequence", m.unloaded_sequence}});
        // The file it was loaded from (version 3): null when the snapshot does not say, with the errno of
        // the preload's failed stat when there was one.
        nlohmann::json& file = modules.back()["file"];
        if (m.file)
            file = {{"size", m.file->size}, {"mtime_ns", m.file->mtime_ns}, {"device", m.file->device}, {"inode", m.file->inode}};
        if (m.file_error) modules.back()["file_error"] = std::strerror(int(m.file_error));
    }
    auto& stacks = out["stacks"] = nlohmann::json::array();
    for (const auto& stack : s.stacks) {
        nlohmann::json frames = nlohmann::json::array(), symbols = nlohmann::json::array();
        for (uint64_t frame : stack.frames) frames.push_back(hexAddress(frame));
        for (const auto& frame : symbolizer.symbolizeStack(s.modules, stack.frames)) symbols.push_back(frameToJson(frame));
        stacks.push_back({{"id", stack.id}, {"truncated", stack.truncated}, {"frames", frames}, {"symbols", symbols}});
    }
    auto& allocations = out["allocations"] = nlohmann::json::array();
    for (size_t i = 0; i < s.allocations.size(); ++i) {
        const snapshot::AllocationRecord a = s.allocations[i];
        nlohmann::json allocation = {{"address", hexAddress(a.address)}, {"size", a.size}, {"sequence", a.sequence},
                                     {"thread", a.thread_id}, {"stack_id", a.stack_id}};
        if (s.classified()) allocation["reachability"] = snapshot::reachabilityName(s.reachabilityOf(i));
        allocations.push_back(std::move(allocation));
    }
    auto& handles = out["handles"] = nlohmann::json::array();
    for (const auto& h : s.handles)
        handles.push_back({{"fd", h.record.fd}, {"kind", snapshot::handleKindName(h.record.kind)},
                           {"details", handleDetails(h.record, h.path)}, {"path", h.path},
                           {"flags", snapshot::handleFlagNames(h.record.flags)}, {"sequence", h.record.sequence},
                           {"thread", h.record.thread_id}, {"stack_id", h.record.stack_id}});
    auto& events = out["events"] = nlohmann::json::array();
    for (const auto& e : s.events)
        events.push_back({{"kind", snapshot::eventKindName(e.kind)}, {"value", int64_t(e.value)}, {"size", e.size},
                          {"sequence", e.sequence}, {"thread", e.thread_id}, {"stack_id", e.stack_id}});
    return out;
}

}  // namespace leakscope::analyzer
