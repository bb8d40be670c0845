// SymbolIndex names every address exactly as elfutils' dwfl_module_addrinfo does, on real modules: this
// test binary (a full .symtab with locals), the libraries it runs with (stripped: .dynsym only, with
// aliases and weak symbols), and cc1plus when installed (31,000 exported symbols).
#include <catch2/catch.hpp>

#include <elf.h>
#include <gelf.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/SymbolIndex.h"

using leakscope::analyzer::SymbolIndex;

namespace {

const Dwfl_Callbacks kCallbacks = {
    .find_elf = nullptr,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

std::vector<std::string> loadedModules() {
    std::vector<std::string> paths;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto* out = static_cast<std::vector<std::string>*>(data);
            std::string name = info->dlpi_name ? info->dlpi_name : "";
            if (name.empty()) name = std::filesystem::read_symlink("/proc/self/exe").string();
            if (name[0] == '/') out->push_back(name);
            return 0;
        },
        &paths);
    return paths;
}

// Addresses where the choice is decided: each symbol's start, end and neighbours, and a stride through
// every executable section, which lands in functions the table does not name. Sampled so that the
// reference (a scan of the whole table per call) stays around 15 million symbol visits a module.
std::set<uint64_t> probeAddresses(Dwfl_Module* module) {
    std::set<uint64_t> addresses;
    int count = dwfl_module_getsymtab(module);
    const int budget = std::clamp(15'000'000 / std::max(count, 1), 300, 3000);  // probes per kind
    int step = std::max(count / (budget / 6), 1);
    for (int i = 1; i < count; i += step) {
        GElf_Sym symbol;
        GElf_Addr value = 0;
        if (!dwfl_module_getsym_info(module, i, &symbol, &value, nullptr, nullptr, nullptr)) continue;
        for (uint64_t offset : {uint64_t(0), symbol.st_size / 2, symbol.st_size, symbol.st_size + 1})
            addresses.insert(value + offset);
        if (symbol.st_size) addresses.insert(value + symbol.st_size - 1);
        if (value) addresses.insert(value - 1);
    }
    GElf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(module, &bias);
    for (Elf_Scn* section = nullptr; elf && (section = elf_nextscn(elf, section));) {
        GElf_Shdr header;
        if (!gelf_getshdr(section, &header) || !(header.sh_flags & SHF_EXECINSTR) || !header.sh_size) continue;
        uint64_t stride = std::max<uint64_t>(header.sh_size / uint64_t(budget / 2), 1);
        for (uint64_t offset = 0; offset <= header.sh_size; offset += stride) addresses.insert(header.sh_addr + bias + offset);
    }
    return addresses;
}

std::string shown(const char* name) { return name ? name : "(none)"; }

}  // namespace

TEST_CASE("the symbol index names each address as dwfl_module_addrinfo does") {
    std::vector<std::string> modules = loadedModules();
    const char* compiler = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus";
    if (std::filesystem::is_regular_file(compiler)) modules.push_back(compiler);
    REQUIRE(modules.size() >= 3);  // this binary, libc, libstdc++ at least
    size_t named = 0;
    for (const auto& path : modules) {
        INFO(path);
        Dwfl* dwfl = dwfl_begin(&kCallbacks);
        REQUIRE(dwfl);
        dwfl_report_begin(dwfl);
        Dwfl_Module* module = dwfl_report_elf(dwfl, "module", path.c_str(), -1, 0, true);
        dwfl_report_end(dwfl, nullptr, nullptr);
        if (!module) {
            dwfl_end(dwfl);
            continue;  // the vdso and the like: no file
        }
        SymbolIndex index(module);
        size_t mismatches = 0;
        for (uint64_t address : probeAddresses(module)) {
            GElf_Off offset = 0;
            GElf_Sym symbol;
            const char* expected = dwfl_module_addrinfo(module, address, &offset, &symbol, nullptr, nullptr, nullptr);
            const char* actual = index.name(address);
            named += expected != nullptr;
            if (shown(expected) != shown(actual) && ++mismatches <= 5)
                FAIL_CHECK("0x" << std::hex << address << ": libdw " << shown(expected) << ", index " << shown(actual));
        }
        CHECK(mismatches == 0);
        dwfl_end(dwfl);
    }
    CHECK(named > 1000);  // the probes did land in named functions
}
