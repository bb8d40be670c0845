// ELF symbol lookup for fault injection: maps each loaded module's file read-only and scans its
// symbol tables. Works on stripped libraries through .dynsym.
#include "unwind/SymbolRanges.h"

#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace leakscope::preload {
namespace {

struct Search {
    const char* name;
    AddressRange* ranges;
    size_t capacity;
    size_t found;
};

void addRange(Search& search, uint64_t start, uint64_t size) noexcept {
    if (search.found == search.capacity) return;
    for (size_t i = 0; i < search.found; ++i)
        if (search.ranges[i].start == start) return;  // the same symbol in .symtab and .dynsym
    search.ranges[search.found++] = AddressRange{start, start + (size ? size : 1)};
}

// Scans one mapped ELF64 image's SHT_SYMTAB and SHT_DYNSYM for the name; every bound check is
// against the file size, since the file is whatever is on disk now.
void scanImage(const unsigned char* image, size_t size, uint64_t bias, Search& search) noexcept {
    if (size < sizeof(Elf64_Ehdr) || std::memcmp(image, ELFMAG, SELFMAG) != 0 || image[EI_CLASS] != ELFCLASS64) return;
    const auto* header = reinterpret_cast<const Elf64_Ehdr*>(image);
    if (header->e_shoff == 0 || header->e_shentsize != sizeof(Elf64_Shdr) ||
        header->e_shoff + uint64_t{header->e_shnum} * sizeof(Elf64_Shdr) > size)
        return;
    const auto* sections = reinterpret_cast<const Elf64_Shdr*>(image + header->e_shoff);
    size_t name_length = std::strlen(search.name);
    for (unsigned i = 0; i < header->e_shnum; ++i) {
        const Elf64_Shdr& table = sections[i];
        if (table.sh_type != SHT_SYMTAB && table.sh_type != SHT_DYNSYM) continue;
        if (table.sh_link >= header->e_shnum || table.sh_entsize != sizeof(Elf64_Sym)) continue;
        const Elf64_Shdr& strings = sections[table.sh_link];
        if (table.sh_offset + table.sh_size > size || strings.sh_offset + strings.sh_size > size) continue;
        const auto* symbols = reinterpret_cast<const Elf64_Sym*>(image + table.sh_offset);
        const char* names = reinterpret_cast<const char*>(image + strings.sh_offset);
        size_t count = table.sh_size / sizeof(Elf64_Sym);
        for (size_t s = 0; s < count; ++s) {
            const Elf64_Sym& symbol = symbols[s];
            if (symbol.st_shndx == SHN_UNDEF || symbol.st_value == 0) continue;
            int type = ELF64_ST_TYPE(symbol.st_info);
            if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
            if (symbol.st_name + name_length >= strings.sh_size) continue;
            const char* symbol_name = names + symbol.st_name;
            if (std::memcmp(symbol_name, search.name, name_length) != 0 || symbol_name[name_length] != '\0') continue;
            addRange(search, symbol.st_value + bias, symbol.st_size);
        }
    }
}

void scanFile(const char* path, uint64_t bias, Search& search) noexcept {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat status {};
    if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode) && status.st_size > 0) {
        auto size = static_cast<size_t>(status.st_size);
        void* image = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (image != MAP_FAILED) {
            scanImage(static_cast<const unsigned char*>(image), size, bias, search);
            munmap(image, size);
        }
    }
    close(fd);
}

int visitModule(struct dl_phdr_info* info, size_t, void* context) noexcept {
    auto& search = *static_cast<Search*>(context);
    const char* path = info->dlpi_name;
    if (!path || !*path) path = "/proc/self/exe";  // the main program
    if (path[0] != '/') return 0;                  // the vDSO and friends have no file
    scanFile(path, info->dlpi_addr, search);
    return 0;
}

int readGeneration(struct dl_phdr_info* info, size_t size, void* context) noexcept {
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs))
        *static_cast<uint64_t*>(context) = info->dlpi_adds + info->dlpi_subs;
    return 1;  // the counters are global: the first module is enough
}

}  // namespace

size_t findFunctionRanges(const char* name, AddressRange* ranges, size_t capacity) noexcept {
    Search search{name, ranges, capacity, 0};
    dl_iterate_phdr(visitModule, &search);
    return search.found;
}

uint64_t moduleGeneration() noexcept {
    uint64_t generation = 0;
    dl_iterate_phdr(readGeneration, &generation);
    return generation;
}

}  // namespace leakscope::preload
