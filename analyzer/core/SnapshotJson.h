// `leakscope show`: one snapshot as the JSON object documented in docs/architecture.md, with every
// stack symbolized (untrimmed: show is for looking at exactly what was recorded).
#pragma once

#include <nlohmann/json.hpp>

#include "core/Symbolizer.h"
#include "leakscope/SnapshotReader.h"

namespace leakscope::analyzer {

nlohmann::json snapshotToJson(const snapshot::Snapshot& snapshot, Symbolizer& symbolizer);

nlohmann::json frameToJson(const SymbolizedFrame& frame);

// "AF_INET SOCK_DGRAM 0" for sockets, the path for files, "" otherwise.
std::string handleDetails(const snapshot::HandleRecord& record, const std::string& path);

}  // namespace leakscope::analyzer
