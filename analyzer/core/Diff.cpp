#include "core/Diff.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "core/FrameTrimmer.h"
#include "core/SnapshotJson.h"
#include "formats/ReportFormatter.h"

namespace leakscope::analyzer {
namespace {

// Accumulates records per (resource, kind, raw stack id) of one snapshot, then symbolizes each group once.
class Grouper {
public:
    Grouper(const snapshot::Snapshot& snapshot, Symbolizer& symbolizer) : snapshot_(snapshot), symbolizer_(symbolizer) {}

    void add(const std::string& resource, const std::string& kind, uint32_t stack_id, uint64_t bytes) {
        auto& group = groups_[{resource, kind, stack_id}];
        group.count += 1;
        group.bytes += bytes;
    }

    std::vector<DiffGroup> finish() {
        std::vector<DiffGroup> result;
        for (auto& [key, usage] : groups_) {
            DiffGroup group{std::get<0>(key), std::get<1>(key), usage.count, usage.bytes, {}};
            long index = snapshot_.stackIndex(std::get<2>(key));
            if (index >= 0) group.stack = trimAllocatorFrames(symbolizer_.symbolizeStack(snapshot_.modules, snapshot_.stacks[size_t(index)].frames));
            result.push_back(std::move(group));
        }
        std::stable_sort(result.begin(), result.end(), [](const DiffGroup& a, const DiffGroup& b) {
            return a.bytes != b.bytes ? a.bytes > b.bytes : a.count > b.count;
        });
        return result;
    }

private:
    struct Usage {
        uint64_t count = 0, bytes = 0;
    };
    const snapshot::Snapshot& snapshot_;
    Symbolizer& symbolizer_;
    std::map<std::tuple<std::string, std::string, uint32_t>, Usage> groups_;
};

}  // namespace

SnapshotDiff diffSnapshots(const snapshot::Snapshot& before, const snapshot::Snapshot& after, Symbolizer& symbolizer) {
    SnapshotDiff diff;
    diff.before_file = before.file;
    diff.after_file = after.file;
    diff.before_sequence = before.sequence;
    diff.after_sequence = after.sequence;
    if (before.pid != after.pid)
        diff.notes.push_back("the snapshots come from different processes (pid " + std::to_string(before.pid) + " and " +
                             std::to_string(after.pid) + "); sequence numbers are only comparable within one process");
    if (after.sequence < before.sequence) diff.notes.push_back("B was taken before A (its sequence is lower)");

    Grouper added(after, symbolizer);
    absl::flat_hash_set<std::pair<uint64_t, uint64_t>> live_after;  // (address, sequence) identifies a block
    for (const auto& a : after.allocations) {
        live_after.insert({a.address, a.sequence});
        if (a.sequence >= before.sequence) added.add("memory", "", a.stack_id, a.size);
    }
    absl::flat_hash_set<std::pair<int64_t, uint64_t>> open_after;
    for (const auto& h : after.handles) {
        open_after.insert({h.record.fd, h.record.sequence});
        if (h.record.sequence >= before.sequence && !(h.record.flags & snapshot::kHandleInherited))
            added.add("handle", snapshot::handleKindName(h.record.kind), h.record.stack_id, 0);
    }
    Grouper freed(before, symbolizer);
    for (const auto& a : before.allocations)
        if (!live_after.contains({a.address, a.sequence})) freed.add("memory", "", a.stack_id, a.size);
    for (const auto& h : before.handles)
        if (!open_after.contains({h.record.fd, h.record.sequence})) freed.add("handle", snapshot::handleKindName(h.record.kind), h.record.stack_id, 0);
    diff.added = added.finish();
    diff.freed = freed.finish();
    for (auto& note : symbolizer.changedModuleNotes()) diff.notes.push_back(std::move(note));
    return diff;
}

nlohmann::json diffToJson(const SnapshotDiff& diff) {
    auto groups = [](const std::vector<DiffGroup>& list) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& g : list) {
            nlohmann::json stack = nlohmann::json::array();
            for (const auto& frame : g.stack) stack.push_back(frameToJson(frame));
            nlohmann::json entry = {{"resource", g.resource}, {"count", g.count}, {"bytes", g.bytes}, {"stack", stack}};
            if (g.resource == "handle") entry["handle_kind"] = g.handle_kind;
            out.push_back(entry);
        }
        return out;
    };
    return {{"schema_version", 1}, {"before", {{"file", diff.before_file}, {"sequence", diff.before_sequence}}},
            {"after", {{"file", diff.after_file}, {"sequence", diff.after_sequence}}},
            {"added", groups(diff.added)}, {"freed", groups(diff.freed)}, {"notes", diff.notes}};
}

void writeDiffText(const SnapshotDiff& diff, std::ostream& out) {
    auto section = [&](const char* title, const std::vector<DiffGroup>& list) {
        uint64_t bytes = 0, count = 0;
        for (const auto& g : list) bytes += g.bytes, count += g.count;
        out << title << ": " << count << " item(s), " << bytes << " B in " << list.size() << " stack(s)\n";
        for (const auto& g : list) {
            out << "  " << (g.resource == "memory" ? std::to_string(g.bytes) + " B in " + std::to_string(g.count) + " block(s)"
                                                   : std::to_string(g.count) + " " + g.handle_kind + " handle(s)");
            // Each frame with its file:line, as in the report's text (issue 18).
            auto where = [](const SymbolizedFrame& frame) {
                std::string location = frameLocation(frame);
                return location.empty() ? std::string() : "  " + location;
            };
            out << "  at " << (g.stack.empty() ? std::string("(no stack)") : g.stack[0].function + where(g.stack[0])) << "\n";
            for (size_t i = 1; i < g.stack.size() && i < 6; ++i) out << "      " << g.stack[i].function << where(g.stack[i]) << "\n";
        }
    };
    out << "leakscope diff " << diff.before_file << " -> " << diff.after_file << "\n";
    for (const auto& note : diff.notes) out << "note: " << note << "\n";
    section("created after A and live at B", diff.added);
    section("live at A and gone at B", diff.freed);
}

void writeDiffMarkdown(const SnapshotDiff& diff, std::ostream& out) {
    auto quantity = [](const DiffGroup& g) {
        return g.resource == "memory" ? std::to_string(g.bytes) + " B in " + std::to_string(g.count) + " block(s)"
                                      : std::to_string(g.count) + " " + g.handle_kind + " handle(s)";
    };
    auto section = [&](const char* title, const std::vector<DiffGroup>& list) {
        uint64_t bytes = 0, count = 0;
        for (const auto& g : list) bytes += g.bytes, count += g.count;
        out << "### " << title << ": " << count << " item(s), " << bytes << " B in " << list.size() << " stack(s)\n\n";
        if (list.empty()) return;
        out << "| # | what | top frame | location |\n|---|---|---|---|\n";
        for (size_t i = 0; i < list.size(); ++i) {
            const auto& g = list[i];
            std::string top = g.stack.empty() ? "(no stack)" : g.stack[0].function;
            std::string location = g.stack.empty() ? "" : frameLocation(g.stack[0]);
            out << "| " << i + 1 << " | " << quantity(g) << " | " << markdownEscape(top) << " | " << markdownEscape(location) << " |\n";
        }
        out << "\n";
        for (size_t i = 0; i < list.size(); ++i) {
            const auto& g = list[i];
            if (g.stack.empty()) continue;
            out << "<details><summary>" << i + 1 << ". " << quantity(g) << " at " << markdownEscape(g.stack[0].function)
                << "</summary>\n\n```\n";
            for (size_t k = 0; k < g.stack.size() && k < 16; ++k)
                out << "#" << k << " " << g.stack[k].function << "  " << frameLocation(g.stack[k]) << "  " << g.stack[k].module << "\n";
            out << "```\n</details>\n\n";
        }
    };
    out << "## leakscope diff\n\n" << markdownEscape(diff.before_file) << " (sequence " << diff.before_sequence << ") → "
        << markdownEscape(diff.after_file) << " (sequence " << diff.after_sequence << ")\n\n";
    for (const auto& note : diff.notes) out << "> note: " << markdownEscape(note) << "\n\n";
    section("Created after A and live at B", diff.added);
    section("Live at A and gone at B", diff.freed);
}

}  // namespace leakscope::analyzer
