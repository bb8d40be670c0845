// Turns a loaded SnapshotSet into findings: per-cycle growth of memory and handles in each label
// series, handles leaked at exit, events (bad_close, double_close, bad_free, failed_allocation,
// injected_failure) and memory live at exit. Stacks are symbolized only for the findings.
#pragma once

#include <string>
#include <vector>

#include "core/Report.h"
#include "core/SnapshotSet.h"
#include "core/Symbolizer.h"

namespace leakscope::analyzer {

struct AnalysisOptions {
    std::vector<std::string> labels;  // empty: every label except "exit"
    int warmup = 1;
};

// "--label L: no snapshot has this label (labels present: cycle, exit)" for the first requested label
// that no snapshot of the set carries, "" when every one matches (`report`/`check` exit 2 on it).
std::string unmatchedLabelError(const SnapshotSet& set, const std::vector<std::string>& labels);

Report buildReport(const SnapshotSet& set, const AnalysisOptions& options, Symbolizer& symbolizer);

}  // namespace leakscope::analyzer
