// Address ranges of a named function in the loaded modules, read from the on-disk ELF .symtab and
// .dynsym (fault injection's function=NAME). Cold path: opens and maps files, called with the guard held.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::preload {

struct AddressRange {
    uint64_t start;
    uint64_t end;  // one past the last byte
};

// Fills up to `capacity` runtime ranges of every symbol called `name` (exact ELF name, so a C++
// function needs its mangled name) in every loaded module; returns how many were found.
size_t findFunctionRanges(const char* name, AddressRange* ranges, size_t capacity) noexcept;

// Changes whenever a module is loaded or unloaded (dl_iterate_phdr's dlpi_adds + dlpi_subs).
uint64_t moduleGeneration() noexcept;

}  // namespace leakscope::preload
