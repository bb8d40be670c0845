// Findings that share a stack key are one finding. Growth is already judged per call path (ReportBuilder
// sums the series of a key's sites before the rule); this merges what comes out per site. The key (core/StackKey.h) is built from the function
// names of the call path, not from lines or addresses, so the five mallocs of one create function, all
// leaked together on every cycle, are reported as the one call path that leaks, with its total per
// cycle and the number of allocation sites, instead of five findings a reader has to add up.
#pragma once

#include <vector>

#include "core/GrowthAnalysis.h"
#include "core/Report.h"

namespace leakscope::analyzer {

// Copies a growth verdict's numbers (rates, onset, counts, capacity_doubling, p_value) into a finding.
void applyVerdict(Finding& finding, const GrowthVerdict& verdict);

// Merges, per process, growth findings of the same label, exit leaks and events that share a stack key
// (and, for handles, the same kind and details). Series are summed cycle by cycle and the growth
// verdict is recomputed on the sum with `warmup`; the merged finding shows the stack of its largest
// site. Leaked handles stay one finding per fd.
void mergeFindingsWithSameStackKey(std::vector<Finding>& findings, int warmup);

// Merges event findings (bad_close, invalid_fd_close, ...: every type but growth, leaked_handle and
// exit_leak) of the same type and stack key across processes into one, `also_in` naming the others:
// a shell run by each system() makes the same close(-1) in every child, and sixty copies of one block
// say nothing the one with "in 60 processes" does not. The finding keeps the first process's pid, stack
// and value (the key says the stacks name the same functions); findings without a stack stay as they are.
void mergeEventsAcrossProcesses(std::vector<Finding>& findings);

// One site into the finding of its stack key, as mergeFindingsWithSameStackKey does it. True when the
// site outweighs the merged finding and `merged` took its stack (moved from `site`): ReportBuilder
// merges exit leaks before their stacks are copied and copies the winning site's stack only.
bool absorbSite(Finding& merged, Finding&& site, int warmup);

// How much a finding weighs within its type: growth by bytes/cycle (then count/cycle), exit leaks by
// bytes, events by count. Orders a report and picks the site a merged finding shows.
double findingWeight(const Finding& finding);

}  // namespace leakscope::analyzer
