// One cause, one finding. Runs after the growth rule, the suppressions and the gate (each part was
// judged on its own): sets every finding's headline (the program's own call, FrameTrimmer.h) and folds
// findings of one process whose stacks pass through the same call of the program, along the same
// path outwards, into one finding whose `components` are the parts:
//   - growth of memory and of handles in the same series (a context kept per cycle: its blocks, its
//     listen socket, its eventfd, its /dev/urandom fd);
//   - handles still open at exit (ten fds left open by one stack are one finding listing the fds);
//   - memory live at exit.
// Events (bad_close, ...) stay one finding per stack.
#pragma once

#include <cstdint>
#include <map>

#include "core/FrameTrimmer.h"
#include "core/Report.h"

namespace leakscope::analyzer {

// `rules` by pid (AllocationWrappers.h); a pid without rules gets the built-in ones only.
void groupFindingsByCause(Report& report, const std::map<uint64_t, HeadlineRules>& rules);

// A group's summary of its parts: "329 KB in 9 blocks + 1 socket + 1 eventfd + 1 file".
std::string componentsSummary(const Finding& group);

}  // namespace leakscope::analyzer
