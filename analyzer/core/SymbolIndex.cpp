#include "core/SymbolIndex.h"

#include <elf.h>
#include <gelf.h>

#include <algorithm>
#include <limits>

namespace leakscope::analyzer {
namespace {

int bindingValue(unsigned char info) {
    switch (GELF_ST_BIND(info)) {
        case STB_GLOBAL: return 3;
        case STB_WEAK: return 2;
        case STB_LOCAL: return 1;
        default: return 0;
    }
}

// Machines whose symbol values libdwfl never resolves through a function descriptor (its
// ebl_resolve_sym_value does nothing there): on these a symbol's value is its table value plus the
// module bias, which is all this index models.
bool plainSymbolValues(Dwfl_Module* module) {
    GElf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(module, &bias);
    GElf_Ehdr header;
    if (!elf || !gelf_getehdr(elf, &header) || header.e_type == ET_REL) return false;
    switch (header.e_machine) {
        case EM_X86_64:
        case EM_386:
        case EM_AARCH64:
        case EM_ARM:
        case EM_RISCV:
        case EM_S390: return true;
        default: return false;
    }
}

}  // namespace

void SymbolIndex::Pass::finish() {
    std::sort(symbols.begin(), symbols.end(), [](const Symbol& a, const Symbol& b) {
        return a.value != b.value ? a.value < b.value : a.table_index < b.table_index;
    });
    uint64_t highest = 0;
    for (auto& symbol : symbols) {
        uint64_t end = symbol.value + symbol.size;
        if (end < symbol.value) end = std::numeric_limits<uint64_t>::max();
        highest = std::max(highest, end);
        symbol.end_max = highest;
    }
}

long SymbolIndex::Pass::lastAtOrBelow(uint64_t address) const {
    auto after = std::upper_bound(symbols.begin(), symbols.end(), address,
                                  [](uint64_t a, const Symbol& symbol) { return a < symbol.value; });
    return long(after - symbols.begin()) - 1;
}

const SymbolIndex::Symbol* SymbolIndex::Pass::containing(uint64_t address) const {
    // Every sized symbol that contains the address, in table order: elfutils keeps the first it meets
    // and lets a later one replace it only by the rule below, so the order decides ties.
    std::vector<const Symbol*> found;
    for (long i = lastAtOrBelow(address); i >= 0 && symbols[size_t(i)].end_max > address; --i) {
        const Symbol& symbol = symbols[size_t(i)];
        if (symbol.size != 0 && address - symbol.value < symbol.size) found.push_back(&symbol);
    }
    std::sort(found.begin(), found.end(), [](const Symbol* a, const Symbol* b) { return a->table_index < b->table_index; });
    const Symbol* best = nullptr;
    for (const Symbol* symbol : found) {
        if (!best || best->value < symbol->value || best->binding < symbol->binding) {
            best = symbol;  // starts closer to the address, or binds stronger
        } else if (best->value == symbol->value && ((best->size > symbol->size && best->binding <= symbol->binding) ||
                                                    (best->size >= symbol->size && best->binding < symbol->binding))) {
            best = symbol;  // same start: the tighter range, at no weaker binding
        }
    }
    return best;
}

SymbolIndex::SymbolIndex(Dwfl_Module* module) : module_(module) {
    if (!plainSymbolValues(module)) return;
    const int count = dwfl_module_getsymtab(module);
    const int first_global = dwfl_module_getsymtab_first_global(module);
    indexed_ = true;
    if (count < 0 || first_global < 0) return;  // no symbol table: elfutils names nothing either
    search_locals_ = first_global > 1;
    const int globals_start = first_global == 0 ? 1 : first_global;
    for (int i = 1; i < count; ++i) {
        GElf_Sym symbol;
        GElf_Addr value = 0;
        GElf_Word section = 0;
        Elf* elf = nullptr;
        Dwarf_Addr bias = 0;
        const char* name = dwfl_module_getsym_info(module, i, &symbol, &value, &section, &elf, &bias);
        // The symbols elfutils' search considers at all (dwfl_module_addrsym.c, search_table).
        const int type = GELF_ST_TYPE(symbol.st_info);
        if (!name || !*name || symbol.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE || type == STT_TLS)
            continue;
        Symbol entry{.value = value, .size = symbol.st_size, .end_max = 0, .table_index = uint32_t(i),
                     .binding = bindingValue(symbol.st_info), .name = name};
        if (i >= globals_start) globals_.symbols.push_back(entry);
        else if (search_locals_) locals_.symbols.push_back(entry);
    }
    globals_.finish();
    locals_.finish();
}

const char* SymbolIndex::name(uint64_t address) const {
    auto ask_libdw = [&] {
        GElf_Off offset = 0;
        GElf_Sym symbol;
        return dwfl_module_addrinfo(module_, address, &offset, &symbol, nullptr, nullptr, nullptr);
    };
    if (!indexed_) return ask_libdw();
    if (const Symbol* symbol = globals_.containing(address)) return symbol->name;
    // elfutils searches the locals only when no global fits, and not when a global label sits exactly here.
    const long global = globals_.lastAtOrBelow(address);
    bool label_here = false;
    for (long i = global; i >= 0 && globals_.symbols[size_t(i)].value == address; --i)
        label_here = label_here || globals_.symbols[size_t(i)].size == 0;
    const bool with_locals = search_locals_ && !label_here;
    if (with_locals)
        if (const Symbol* symbol = locals_.containing(address)) return symbol->name;
    // No sized symbol contains the address. A label (sizeless symbol) names it only when it is at the
    // highest value at or below the address and no symbol seen ends above that value; then which label,
    // if any, depends on the sections of the label and the address: libdw decides (rare).
    bool any = false;
    uint64_t top_value = 0, top_end = 0;
    auto consider = [&](const Pass& pass, long last) {
        if (last < 0) return;
        any = true;
        top_value = std::max(top_value, pass.symbols[size_t(last)].value);
        top_end = std::max(top_end, pass.symbols[size_t(last)].end_max);
    };
    consider(globals_, global);
    if (with_locals) consider(locals_, locals_.lastAtOrBelow(address));
    if (!any || top_end > top_value) return nullptr;
    return ask_libdw();
}

}  // namespace leakscope::analyzer
