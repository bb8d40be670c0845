// The dlopen and dlsym entries that redirected slots point at (DlEntries.h).
//
// glibc's dlopen and dlsym find their caller from their return address: dlopen searches the calling
// module's DT_RUNPATH (or its loaders' DT_RPATH chain) for a bare file name, expands $ORIGIN against
// the caller's directory and honours its DF_1_NODEFLIB; dlsym(RTLD_NEXT) starts after the caller and
// dlsym(RTLD_DEFAULT) searches the caller's scope. An entry that *called* the real function would
// make libleakscope.so the caller. So each entry decides with the arguments preserved and then either
// jumps to the real function (the stack it sees is the program's, the answer exactly a plain run's),
// or calls it where the caller cannot matter:
//  - dlopen: a path with a '/' and no '$', or a bare name when neither the calling module has a
//    RUNPATH, an RPATH or DF_1_NODEFLIB nor any loaded module has an RPATH (then the search from
//    libleakscope, whose own loader is the main program, walks the same directories): called, and
//    the listener redirects the new modules before the program's next instruction. Otherwise a jump:
//    the new modules are redirected at the listener's next occasion (OptionalHooks.h).
//  - dlsym: only the names the answer function owns, never RTLD_NEXT; everything else is a jump.
#include "relocation/DlEntries.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

namespace leakscope::preload::relocation {
namespace {

void (*gListener)() noexcept = nullptr;
void* (*gAnswer)(void*, const char*) noexcept = nullptr;

// A module's dynamic section says its dlopen searches differ from libleakscope's.
struct SearchQuestion {
    uintptr_t caller;
    bool caller_found = false;
    bool depends = false;
};

bool hasSearchPaths(const ElfW(Dyn)* dynamic, bool runpath_counts) noexcept {
    for (const ElfW(Dyn)* entry = dynamic; entry->d_tag != DT_NULL; ++entry) {
        if (entry->d_tag == DT_RPATH) return true;
        if (!runpath_counts) continue;
        if (entry->d_tag == DT_RUNPATH) return true;
        if (entry->d_tag == DT_FLAGS_1 && (entry->d_un.d_val & DF_1_NODEFLIB)) return true;
    }
    return false;
}

// Visits every module under the loader's list lock (dl_iterate_phdr): the first one is the main
// program, which glibc takes as the caller when the address is in no module (generated code).
int askModule(dl_phdr_info* info, size_t, void* context) noexcept {
    auto& question = *static_cast<SearchQuestion*>(context);
    const ElfW(Dyn)* dynamic = nullptr;
    bool holds_caller = false;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& header = info->dlpi_phdr[i];
        const uintptr_t start = info->dlpi_addr + header.p_vaddr;
        if (header.p_type == PT_DYNAMIC) dynamic = reinterpret_cast<const ElfW(Dyn)*>(start);
        if (header.p_type == PT_LOAD && question.caller >= start && question.caller < start + header.p_memsz)
            holds_caller = true;
    }
    if (holds_caller) question.caller_found = true;
    if (dynamic && hasSearchPaths(dynamic, holds_caller)) question.depends = true;
    return question.depends ? 1 : 0;
}

bool bareNameSearchDependsOn(const void* caller) noexcept {
    SearchQuestion question{reinterpret_cast<uintptr_t>(caller)};
    dl_iterate_phdr(askModule, &question);
    if (question.depends || question.caller_found) return question.depends;
    // Caller in no module: glibc searches as the main program would (its RUNPATH, NODEFLIB).
    question.caller = 0;
    struct First {
        static int visit(dl_phdr_info* info, size_t, void* context) noexcept {
            auto& depends = *static_cast<bool*>(context);
            for (int i = 0; i < info->dlpi_phnum; ++i)
                if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
                    depends = hasSearchPaths(
                        reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr), true);
            return 1;
        }
    };
    bool depends = false;
    dl_iterate_phdr(First::visit, &depends);
    return depends;
}

}  // namespace

void setModuleLoadListener(void (*listener)() noexcept) noexcept { gListener = listener; }
void setSymbolAnswer(void* (*answer)(void*, const char*) noexcept) noexcept { gAnswer = answer; }

}  // namespace leakscope::preload::relocation

extern "C" {

__attribute__((used, visibility("hidden"))) void* (*leakscope_real_dlopen)(const char*, int) = nullptr;
__attribute__((used, visibility("hidden"))) void* (*leakscope_real_dlsym)(void*, const char*) = nullptr;

__attribute__((used, visibility("hidden"))) int leakscope_dlopen_keeps_caller(const char* file,
                                                                             const void* caller) noexcept {
    if (!file) return 1;                            // the main program: nothing is loaded
    if (std::strchr(file, '$')) return 1;           // $ORIGIN, $LIB, $PLATFORM: the caller's
    if (std::strchr(file, '/')) return 0;           // a path: the same file from any caller
    int saved_errno = errno;
    const bool depends = leakscope::preload::relocation::bareNameSearchDependsOn(caller);
    errno = saved_errno;
    return depends ? 1 : 0;
}

__attribute__((used, visibility("hidden"))) void* leakscope_dlopen_and_redirect(const char* file, int mode) noexcept {
    void* handle = leakscope_real_dlopen(file, mode);
    if (handle && leakscope::preload::relocation::gListener) {
        int saved_errno = errno;
        leakscope::preload::relocation::gListener();
        errno = saved_errno;
    }
    return handle;
}

__attribute__((used, visibility("hidden"))) void* leakscope_dlsym_answer(void* handle, const char* name) noexcept {
    if (handle == RTLD_NEXT || !name || !leakscope::preload::relocation::gAnswer) return nullptr;
    int saved_errno = errno;
    void* answer = leakscope::preload::relocation::gAnswer(handle, name);
    errno = saved_errno;
    return answer;
}

}  // extern "C"

namespace leakscope::preload::relocation {

void setRealDlFunctions(void* dlopen_function, void* dlsym_function) noexcept {
    if (dlopen_function) leakscope_real_dlopen = reinterpret_cast<void* (*)(const char*, int)>(dlopen_function);
    if (dlsym_function) leakscope_real_dlsym = reinterpret_cast<void* (*)(void*, const char*)>(dlsym_function);
}

}  // namespace leakscope::preload::relocation

// void* leakscope_dlopen_entry(const char* file, int mode) and void* leakscope_dlsym_entry(void*
// handle, const char* name): decide with the arguments preserved (and, for dlopen, the caller's return
// address as second argument), then jump (never call) so that the stack the real function sees is the
// program's. The pushes keep the stack 16-byte aligned at the inner call.
asm(R"(
    .macro LEAKSCOPE_DECIDE decide, pass_caller
    push %rdi
    .cfi_adjust_cfa_offset 8
    push %rsi
    .cfi_adjust_cfa_offset 8
    sub $8, %rsp
    .cfi_adjust_cfa_offset 8
    .if \pass_caller
    mov 24(%rsp), %rsi
    .endif
    call \decide
    add $8, %rsp
    .cfi_adjust_cfa_offset -8
    pop %rsi
    .cfi_adjust_cfa_offset -8
    pop %rdi
    .cfi_adjust_cfa_offset -8
    .endm

    .text
    .globl leakscope_dlopen_entry
    .hidden leakscope_dlopen_entry
    .type leakscope_dlopen_entry, @function
leakscope_dlopen_entry:
    .cfi_startproc
    LEAKSCOPE_DECIDE leakscope_dlopen_keeps_caller, 1
    test %eax, %eax
    jnz 1f
    jmp leakscope_dlopen_and_redirect
1:
    jmp *leakscope_real_dlopen(%rip)
    .cfi_endproc
    .size leakscope_dlopen_entry, .-leakscope_dlopen_entry

    .globl leakscope_dlsym_entry
    .hidden leakscope_dlsym_entry
    .type leakscope_dlsym_entry, @function
leakscope_dlsym_entry:
    .cfi_startproc
    LEAKSCOPE_DECIDE leakscope_dlsym_answer, 0
    test %rax, %rax
    jz 1f
    ret
1:
    jmp *leakscope_real_dlsym(%rip)
    .cfi_endproc
    .size leakscope_dlsym_entry, .-leakscope_dlsym_entry
    .purgem LEAKSCOPE_DECIDE
)");
