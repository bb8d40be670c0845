// Rewrites JUMP_SLOT/GLOB_DAT slots of the loaded modules (see GotPatcher.h). Runs inside the target
// on a program thread (the preload's constructor, the injected call, the dlopen hook) or on the tool
// thread; it allocates
// nothing and opens nothing: dl_iterate_phdr holds the loader's list lock while it calls us, so the
// modules visited cannot be unloaded meanwhile.
#include "relocation/GotPatcher.h"
#include "tables/SpinLock.h"

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace leakscope::preload::relocation {
namespace {

struct Pass {
    const HookedSymbol* symbols;
    size_t count;
    bool restore;
    uintptr_t own_base;  // this library's load address: its slots must reach libc, never itself
    size_t changed;
};

// A module's address range, dynamic section and RELRO pages, from its program headers.
struct ModuleLayout {
    uintptr_t start = UINTPTR_MAX, end = 0;
    const ElfW(Dyn)* dynamic = nullptr;
    uintptr_t relro_start = 0, relro_end = 0;  // whole pages made read-only after relocation
};

ModuleLayout layoutOf(const dl_phdr_info& info) noexcept {
    ModuleLayout layout;
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info.dlpi_phdr[i];
        uintptr_t address = info.dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_LOAD) {
            if (address < layout.start) layout.start = address;
            if (address + header.p_memsz > layout.end) layout.end = address + header.p_memsz;
        } else if (header.p_type == PT_DYNAMIC) {
            layout.dynamic = reinterpret_cast<const ElfW(Dyn)*>(address);
        } else if (header.p_type == PT_GNU_RELRO) {
            // The loader protects [start, end) rounded down to pages (glibc's _dl_protect_relro).
            layout.relro_start = address & ~(page - 1);
            layout.relro_end = (address + header.p_memsz) & ~(page - 1);
        }
    }
    return layout;
}

// The loader relocates most d_ptr values in place, but not in a read-only dynamic section (the vDSO):
// an address below the load address is still relative.
template <typename T>
T* dynamicPointer(uintptr_t value, uintptr_t base) noexcept {
    return reinterpret_cast<T*>(value < base ? value + base : value);
}

// Modules of the main namespace are on _r_debug's list; a dlmopen namespace has its own libc, whose
// lazy slots must not be bound to ours.
bool inMainNamespace(const dl_phdr_info& info) noexcept {
    for (const link_map* map = _r_debug.r_map; map; map = map->l_next)
        if (map->l_addr == info.dlpi_addr && map->l_name == info.dlpi_name) return true;
    return false;
}

bool skippedModule(const dl_phdr_info& info, uintptr_t own_base) noexcept {
    if (info.dlpi_addr == own_base && own_base != 0) return true;
    const char* name = info.dlpi_name ? info.dlpi_name : "";
    // The dynamic loader calls the allocator through pointers set at start, not through slots.
    return std::strstr(name, "/ld-linux") != nullptr || std::strncmp(name, "linux-vdso", 10) == 0;
}

const HookedSymbol* findSymbol(const Pass& pass, const char* name) noexcept {
    for (size_t i = 0; i < pass.count; ++i)
        if (name[0] == pass.symbols[i].name[0] && std::strcmp(name, pass.symbols[i].name) == 0) return &pass.symbols[i];
    return nullptr;
}

// Whether the word at `address` lies in a segment the module maps writable (PF_W: .data, the GOT,
// RELRO). A module with text relocations (DT_TEXTREL: non-PIC code such as `movabs $dlopen, %rax`)
// has R_X86_64_64 words inside its code; glibc made that page writable only while relocating it. Such
// a word is left alone: a store would fault on the r-x page, and opening the page would take the
// execute right from the code other threads are running on it.
bool inWritableSegment(const dl_phdr_info& info, uintptr_t address) noexcept {
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info.dlpi_phdr[i];
        const uintptr_t start = info.dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_LOAD && (header.p_flags & PF_W) && address >= start &&
            address + sizeof(void*) <= start + header.p_memsz)
            return true;
    }
    return false;
}

// A slot in the RELRO range is written through process_vm_writev first, which honours page
// protection: it succeeds while the page is still writable (a module another thread's dlopen is
// relocating right now, whose pages must not be made read-only under the loader), and fails with
// EFAULT once the loader has protected the page; only then is the page opened for the one store and
// protected again, leaving it as it was found.
bool store(void** slot, void* value, const ModuleLayout& layout) noexcept {
    auto address = reinterpret_cast<uintptr_t>(slot);
    if (address < layout.relro_start || address >= layout.relro_end) {
        __atomic_store_n(slot, value, __ATOMIC_RELEASE);  // one aligned word: another thread sees old or new
        return true;
    }
    iovec local{&value, sizeof(value)}, remote{slot, sizeof(value)};
    if (syscall(SYS_process_vm_writev, getpid(), &local, 1UL, &remote, 1UL, 0UL) == sizeof(value)) return true;
    const auto page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    void* page = reinterpret_cast<void*>(address & ~(page_size - 1));
    if (mprotect(page, page_size, PROT_READ | PROT_WRITE) != 0) return false;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
    mprotect(page, page_size, PROT_READ);
    return true;
}

void visitRelocations(Pass& pass, const dl_phdr_info& info, const ModuleLayout& layout, const ElfW(Rela)* table,
                      size_t bytes, const ElfW(Sym)* symbols, const char* strings, bool main_namespace) noexcept {
    const size_t entries = bytes / sizeof(ElfW(Rela));
    for (size_t i = 0; i < entries; ++i) {
        const ElfW(Rela)& relocation = table[i];
        const auto type = ELF64_R_TYPE(relocation.r_info);
        // R_X86_64_64 with no addend: a function pointer in data (`void* (*f)(size_t) = malloc;`),
        // redirected as well so that every copy of the address the loader made compares equal.
        const bool data_pointer = type == R_X86_64_64 && relocation.r_addend == 0;
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && !data_pointer) continue;
        const auto index = ELF64_R_SYM(relocation.r_info);
        if (index == 0) continue;
        const HookedSymbol* symbol = findSymbol(pass, strings + symbols[index].st_name);
        if (!symbol) continue;
        const auto defined_at = reinterpret_cast<uintptr_t>(symbol->real);
        if (symbol->skip_defining_module && defined_at >= layout.start && defined_at < layout.end) continue;
        auto** slot = reinterpret_cast<void**>(info.dlpi_addr + relocation.r_offset);
        if (!inWritableSegment(info, reinterpret_cast<uintptr_t>(slot))) continue;
        void* current = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        void* wanted = nullptr;
        if (pass.restore) {
            if (current == symbol->hook) wanted = symbol->real;
        } else if (current == symbol->real) {
            wanted = symbol->hook;
        } else if (type == R_X86_64_JUMP_SLOT && main_namespace) {
            auto target = reinterpret_cast<uintptr_t>(current);
            if (target >= layout.start && target < layout.end) wanted = symbol->hook;  // lazy, not bound yet
        }
        if (wanted && store(slot, wanted, layout)) ++pass.changed;
    }
}

int visitModule(dl_phdr_info* info, size_t, void* context) noexcept {
    auto& pass = *static_cast<Pass*>(context);
    if (skippedModule(*info, pass.own_base)) return 0;
    const ModuleLayout layout = layoutOf(*info);
    if (!layout.dynamic) return 0;
    const uintptr_t base = info->dlpi_addr;
    const ElfW(Sym)* symbols = nullptr;
    const char* strings = nullptr;
    const ElfW(Rela)*rela = nullptr, *jmprel = nullptr;
    size_t rela_bytes = 0, jmprel_bytes = 0;
    bool plt_is_rela = true;
    for (const ElfW(Dyn)* entry = layout.dynamic; entry->d_tag != DT_NULL; ++entry) {
        switch (entry->d_tag) {
            case DT_SYMTAB: symbols = dynamicPointer<const ElfW(Sym)>(entry->d_un.d_ptr, base); break;
            case DT_STRTAB: strings = dynamicPointer<const char>(entry->d_un.d_ptr, base); break;
            case DT_RELA: rela = dynamicPointer<const ElfW(Rela)>(entry->d_un.d_ptr, base); break;
            case DT_RELASZ: rela_bytes = entry->d_un.d_val; break;
            case DT_JMPREL: jmprel = dynamicPointer<const ElfW(Rela)>(entry->d_un.d_ptr, base); break;
            case DT_PLTRELSZ: jmprel_bytes = entry->d_un.d_val; break;
            case DT_PLTREL: plt_is_rela = entry->d_un.d_val == DT_RELA; break;
            default: break;
        }
    }
    if (!symbols || !strings) return 0;
    const bool main_namespace = inMainNamespace(*info);
    if (rela) visitRelocations(pass, *info, layout, rela, rela_bytes, symbols, strings, main_namespace);
    if (jmprel && plt_is_rela) visitRelocations(pass, *info, layout, jmprel, jmprel_bytes, symbols, strings, main_namespace);
    return 0;
}

int findOwnBase(dl_phdr_info* info, size_t, void* context) noexcept {
    auto& result = *static_cast<uintptr_t*>(context);
    const auto own = reinterpret_cast<uintptr_t>(&findOwnBase);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_LOAD && own >= start && own < start + header.p_memsz) {
            result = info->dlpi_addr;
            return 1;
        }
    }
    return 0;
}

// Passes from different threads (the dlopen hook, the tool thread) run one at a time: two of them
// opening and closing the same read-only page would race.
SpinLock gPassLock;

size_t runPass(const HookedSymbol* symbols, size_t count, bool restore) noexcept {
    SpinLockHolder hold(gPassLock);
    static uintptr_t own_base = 0;
    if (!own_base) dl_iterate_phdr(findOwnBase, &own_base);
    Pass pass{symbols, count, restore, own_base, 0};
    dl_iterate_phdr(visitModule, &pass);
    return pass.changed;
}

int readGeneration(dl_phdr_info* info, size_t size, void* context) noexcept {
    if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs))
        *static_cast<unsigned long long*>(context) = info->dlpi_adds;
    return 1;  // the counters are the same in every entry: the first one is enough
}

}  // namespace

size_t redirectSlots(const HookedSymbol* symbols, size_t count) noexcept { return runPass(symbols, count, false); }

size_t restoreSlots(const HookedSymbol* symbols, size_t count) noexcept { return runPass(symbols, count, true); }

unsigned long long loadedModuleGeneration() noexcept {
    unsigned long long generation = 0;
    dl_iterate_phdr(readGeneration, &generation);
    return generation;
}

}  // namespace leakscope::preload::relocation
