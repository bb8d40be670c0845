// The ELF symbol that names an address, as dwfl_module_addrinfo names it, found by binary search.
//
// elfutils' dwfl_module_addrinfo walks the module's whole symbol table on every call: cc1plus exports
// 31,000 dynamic symbols, so symbolizing its exit leaks spent seconds in that loop. This index reads
// the table once per module and answers each address in O(log n) with the same choice elfutils makes
// (elfutils libdwfl/dwfl_module_addrsym.c): global symbols first, locals only when no global fits; among
// sized symbols that contain the address the closest start, then the stronger binding, then the
// smaller size, then the first in table order; a sizeless symbol (an assembly label) only when no sized
// symbol fits and nothing ends above it. The rare case that depends on section boundaries, and modules
// whose symbol values are resolved through function descriptors (not x86-64), are asked of libdw itself.
#pragma once

#include <cstdint>
#include <vector>

#include <elfutils/libdwfl.h>

namespace leakscope::analyzer {

class SymbolIndex {
public:
    // Reads `module`'s symbol table (.symtab, else .dynsym; with its .gnu_debugdata part) once.
    explicit SymbolIndex(Dwfl_Module* module);

    // The symbol name dwfl_module_addrinfo(module, address, ...) returns (module-relative address as
    // libdwfl sees it), nullptr when none. The pointer is libelf's and lives as long as the Dwfl.
    const char* name(uint64_t address) const;

private:
    struct Symbol {
        uint64_t value = 0;    // the address libdwfl compares (st_value after its adjustments)
        uint64_t size = 0;
        uint64_t end_max = 0;  // the highest value+size of this symbol and every one sorted before it
        uint32_t table_index = 0;
        int binding = 0;       // elfutils' order: global 3, weak 2, local 1, other 0
        const char* name = nullptr;
    };
    // One pass of elfutils' search (globals, then locals): the candidates sorted by value.
    struct Pass {
        std::vector<Symbol> symbols;
        void finish();  // sorts and fills end_max
        // Index of the last symbol with value <= address, or -1.
        long lastAtOrBelow(uint64_t address) const;
        // The best sized symbol containing `address` (elfutils' rule), nullptr when none does.
        const Symbol* containing(uint64_t address) const;
    };

    Dwfl_Module* module_;
    bool indexed_ = false;  // false: every lookup goes to libdw
    bool search_locals_ = false;
    Pass globals_, locals_;
};

}  // namespace leakscope::analyzer
