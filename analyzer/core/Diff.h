// `leakscope diff A B`: what B holds that was created after A (sequence >= A's sequence) grouped by
// symbolized stack, largest first; and what A held that is gone in B (freed or closed).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/Symbolizer.h"
#include "leakscope/SnapshotReader.h"

namespace leakscope::analyzer {

struct DiffGroup {
    std::string resource;     // "memory" or "handle"
    std::string handle_kind;  // handles only
    uint64_t count = 0;
    uint64_t bytes = 0;
    SymbolizedStack stack;    // trimmed
};

struct SnapshotDiff {
    std::string before_file, after_file;
    uint64_t before_sequence = 0, after_sequence = 0;
    std::vector<DiffGroup> added;  // created after A, live at B
    std::vector<DiffGroup> freed;  // live at A, gone at B
    std::vector<std::string> notes;
};

SnapshotDiff diffSnapshots(const snapshot::Snapshot& before, const snapshot::Snapshot& after, Symbolizer& symbolizer);

nlohmann::json diffToJson(const SnapshotDiff& diff);
void writeDiffText(const SnapshotDiff& diff, std::ostream& out);
// For CI summaries and merge-request notes, like `report --format markdown`.
void writeDiffMarkdown(const SnapshotDiff& diff, std::ostream& out);

// The --format names diff can write (the report formats that describe one comparison).
inline constexpr const char* kDiffFormats[] = {"text", "json", "markdown"};

}  // namespace leakscope::analyzer
