// Redirects the program's calls to the hooked functions by rewriting relocation slots in memory:
// every R_X86_64_JUMP_SLOT (PLT) and R_X86_64_GLOB_DAT (address taken, -fno-plt calls) slot of every
// loaded module whose symbol is hooked, and R_X86_64_64 data words that hold its address (a function
// pointer initialised with it). This library's own slots and the dynamic loader's are left
// alone. Two users: `leakscope attach` (every hook, preload/attach/) and the preload's optional hooks
// (jemalloc's extended API, which libleakscope.so does not export; OptionalHooks.h).
#pragma once

#include <cstddef>

namespace leakscope::preload::relocation {

struct HookedSymbol {
    const char* name;
    void* hook;  // this library's function
    void* real;  // what the global scope resolves the name to (dlsym(RTLD_DEFAULT))
    // The module that defines `real` keeps its own references to it (libjemalloc's operator new
    // calls its mallocx through its PLT: a hook there would count the block twice). The attach
    // leaves it false: libc's internal calls to malloc are the program's too.
    bool skip_defining_module = false;
};

// Points slots at the hooks. A slot is taken only when it holds `real` (bound) or, in a module of
// the main namespace, an address inside its own module (a lazy PLT stub, not bound yet): a slot
// bound to another definition (the program's own allocator, another symbol version, a dlmopen
// namespace's libc) is left as it is, so a hook never forwards to a function the module did not use.
// Idempotent: slots already redirected are skipped, so it serves modules loaded later as well.
// Returns the number of slots changed.
size_t redirectSlots(const HookedSymbol* symbols, size_t count) noexcept;

// Puts `real` back into every slot that holds a hook (a lazy slot is thereby bound early, to the
// function the loader would have chosen). Modules unloaded since are simply no longer visited.
size_t restoreSlots(const HookedSymbol* symbols, size_t count) noexcept;

// dl_iterate_phdr's count of modules loaded so far: changes when a module was added.
unsigned long long loadedModuleGeneration() noexcept;

}  // namespace leakscope::preload::relocation
