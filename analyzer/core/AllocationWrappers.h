// Finds each library's own allocation wrapper (lws_realloc, g_malloc, CRYPTO_malloc, xmalloc) in the
// snapshots, so that a headline names the code that called the wrapper, not the wrapper.
//
// A wrapper is the function through which most of a library's allocations pass: among the memory
// stacks live in any snapshot of a process, after the allocator's own frames are trimmed, one
// function of a shared library (not the executable, not the C/C++ runtime) that is stack[0] of at
// least kMinWrapperStacks stacks, reached from at least two call sites (or from its own library: a
// wrapper of a wrapper), and of more than half of the stacks whose stack[0] is in that library. A
// second and third round look below the wrappers found (lws_zalloc -> lws_realloc -> realloc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/FrameTrimmer.h"
#include "core/SnapshotSet.h"
#include "core/Symbolizer.h"

namespace leakscope::analyzer {

inline constexpr int kMinWrapperStacks = 3;

// Per pid: detected wrappers, the given --alloc-fn globs and the installed (system) modules.
std::map<uint64_t, HeadlineRules> headlineRules(const SnapshotSet& set, Symbolizer& symbolizer,
                                                const std::vector<std::string>& alloc_fns);

}  // namespace leakscope::analyzer
