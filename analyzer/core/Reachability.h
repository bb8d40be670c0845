// Reachability in findings (docs/analysis.md, "Reachability in findings"), once a finding has its
// classes (ReachabilityEvidence.h): how a growth's per-cycle bytes split over them, how merged and
// grouped parts add up, the words every format uses, and the `--fail-on lost` test. Needs nothing but
// the Finding, so the gate and the formats use it without the snapshots.
#pragma once

#include <string>
#include <vector>

#include "core/Report.h"

namespace leakscope::analyzer {

// Sets a growth's bytes_per_cycle split: `bytes_per_cycle` times each class's share of the bytes
// (Classified), or all of it in [0], not classified (otherwise).
void splitPerCycle(FindingReachability& reachability, double bytes_per_cycle);

// Adds a part (merged site, grouped finding) into a total: classes, blocks and per-cycle bytes summed;
// the status is the most informative of the two (Classified, then Freed, then NotClassified).
void addReachability(FindingReachability& total, const FindingReachability& part);

// `--fail-on lost`: memory growth whose per-cycle bytes are more than half definitely or indirectly lost.
bool mostlyLost(const Finding& finding);

// For people: "all definitely lost", "768 B definitely lost, 256 B still reachable", "reachability not
// classified", "freed before the classified 'exit' snapshot"; "" for findings without reachability.
// Growth: per-cycle bytes; exit leaks: bytes live at exit.
std::string reachabilityPhrase(const Finding& finding);

// JSON key of a class: "not_classified", "definitely_lost", "indirectly_lost", "possibly_lost",
// "still_reachable" (reachabilityName with '_' for ' ').
std::string reachabilityKey(size_t reachability_class);
// JSON value of a status: "classified", "not_classified", "freed" ("" for None).
const char* reachabilityStatusName(FindingReachability::Status status);

}  // namespace leakscope::analyzer
