// One frame of a symbolized stack as every later stage (reports, keys, suppressions) sees it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leakscope::analyzer {

struct SymbolizedFrame {
    uint64_t address = 0;   // runtime address as recorded (not the address-1 used for the lookup)
    std::string function;   // demangled; "module+0xoffset" when unknown
    std::string file;       // source file, "" when there is no line information
    int line = 0;
    std::string module;     // basename of the module ("" when the address is in no module)
    bool inlined = false;   // an inline frame: the function was inlined into the next frame
    bool known = false;     // function came from a symbol table or DWARF
    bool stale = false;     // the module's file on disk is another build than the run's: function is
                            // "module+0xoffset" in the run's build, distinct per call site in this run
};

using SymbolizedStack = std::vector<SymbolizedFrame>;

}  // namespace leakscope::analyzer
