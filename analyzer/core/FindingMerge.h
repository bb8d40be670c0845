// Findings that share a stack key are one finding. The key (core/StackKey.h) is built from the function
// names of the call path, not from lines or addresses, so the five mallocs of one create function, all
// leaked together on every cycle, are reported as the one call path that leaks, with its total per
// cycle and the number of allocation sites, instead of five findings a reader has to add up.
#pragma once

#include <vector>

#include "core/Report.h"

namespace leakscope::analyzer {

// Merges, per process, growth findings of the same label, exit leaks and events that share a stack key
// (and, for handles, the same kind and details). Series are summed cycle by cycle and the growth
// verdict is recomputed on the sum with `warmup`; the merged finding shows the stack of its largest
// site. Leaked handles stay one finding per fd.
void mergeFindingsWithSameStackKey(std::vector<Finding>& findings, int warmup);

// How much a finding weighs within its type: growth by bytes/cycle (then count/cycle), exit leaks by
// bytes, events by count. Orders a report and picks the site a merged finding shows.
double findingWeight(const Finding& finding);

}  // namespace leakscope::analyzer
