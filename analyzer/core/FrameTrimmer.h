// Removes the tracker's and the allocator's own frames from the top of a symbolized stack so that
// stack[0] is the code that called malloc/new/socket/open: the preload's module, libc's malloc family
// and its handle-creating wrappers (fopen calling malloc, ...), operator new/new[] and libstdc++'s
// allocator templates.
//
// The headline of a finding goes further: it names the program's own call, skipping the frames that
// allocate on the caller's behalf (headlineFrame below) while the stack keeps every frame.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/SymbolizedFrame.h"

namespace leakscope::analyzer {

// True when this frame is tracker/allocator plumbing rather than the program's own code.
bool isAllocatorFrame(const SymbolizedFrame& frame);

// The stack without its leading allocator frames (unchanged if every frame is one).
SymbolizedStack trimAllocatorFrames(SymbolizedStack stack);
// How many leading frames trimAllocatorFrames drops from a stack of borrowed frames (Symbolizer::borrowStack).
size_t allocatorFramesToTrim(const std::vector<const SymbolizedFrame*>& stack);

// What the headline skips besides the C and C++ runtimes, per process.
struct HeadlineRules {
    std::set<std::pair<std::string, std::string>> wrappers;  // (module, function): detected allocation wrappers
    std::vector<std::string> alloc_fns;                        // --alloc-fn globs, matched on the bare function name
    std::set<std::string> system_modules;                      // basenames of modules installed under /usr or /lib
};

// A frame of the C library, the dynamic loader or the C++ runtime (libstdc++, libgcc, std:: and
// __gnu_cxx:: code inlined into the program): strdup, asprintf, getline, realpath, scandir,
// open_memstream, std::map's tree, std::vector's growth... allocate on behalf of their caller.
bool isRuntimeFrame(const SymbolizedFrame& frame);

// A module of the C and C++ runtimes by its file name (libc, ld.so, libstdc++, libgcc_s, libm, NSS and
// resolver modules): the one list both the headline rules and the default suppressions use.
bool isRuntimeModule(std::string_view module);

// Index of the first frame that is neither a runtime frame, a detected wrapper nor an --alloc-fn:
// where the code that wanted the memory called the wrappers. 0 when no frame qualifies.
size_t callerOfWrappers(const SymbolizedStack& stack, const HeadlineRules& rules);

// Index of the headline frame: the first frame that is neither a runtime frame, a detected wrapper
// nor an --alloc-fn; then, if that frame is in an installed library (libwebsockets' internals), the
// first frame outside installed libraries: the program's call into it. 0 when no frame qualifies.
size_t headlineFrame(const SymbolizedStack& stack, const HeadlineRules& rules);

// "caller → callee" for a headline frame below a skipped one ("make_name → strdup",
// "service_start → lws_create_context"), else the caller alone; C++ names shortened.
std::string headlineText(const SymbolizedStack& stack, size_t headline_frame);

// A C++ name for a headline: no parameter list, template arguments elided
// ("std::map<std::string, int>::operator[](std::string const&)" -> "std::map<…>::operator[]").
std::string shortFunctionName(const std::string& function);

}  // namespace leakscope::analyzer
