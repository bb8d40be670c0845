// The preload's optional hooks, by GOT patching (OptionalHooks.h).
//
// Why not exports: glibc relocates libleakscope after the libraries it precedes in the search order;
// a library linked -z now (or under LD_BIND_NOW) that references an IFUNC export of libleakscope has
// it resolved before libleakscope is relocated, and glibc prints "Relink `LIB' with
// `libleakscope.so' for IFUNC symbol" on the program's stderr (BIND 9's `host -V`: 6 lines). A plain
// export would instead make the names appear in a process without jemalloc.
#include "relocation/OptionalHooks.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <dlfcn.h>

#include "hooks/JemallocHooks.h"
#include "relocation/DlEntries.h"
#include "relocation/GotPatcher.h"
#include "tracker/TrackerCore.h"

namespace leakscope::preload::relocation {
namespace {

constexpr size_t kMaxOptional = 8;  // JemallocHooks.cpp has 7

std::atomic<bool> gStarted{false};
std::atomic<unsigned long long> gGeneration{0};
// For each optional hook redirected: the real function its slots held (dlsym's answer to replace).
std::atomic<void*> gRedirectedReal[kMaxOptional];
void* gRealDlopen = nullptr;
void* gRealDlsym = nullptr;

// One pass over every loaded module. A module's slots can only gain a present function (jemalloc
// dlopened later), so the table is rebuilt each time; GotPatcher skips slots already redirected.
void redirectPass() noexcept {
    ReentryGuard guard;  // dlsym allocates: the tracker's blocks, not the program's
    const auto hooks = optionalHooks();
    HookedSymbol table[kMaxOptional + 2];
    size_t count = 0;
    bool lookup_failed = false;
    for (size_t i = 0; i < hooks.size() && i < kMaxOptional; ++i) {
        void* real = hooks[i].real();  // behind libleakscope: what the hook forwards to
        void* global = real ? dlsym(RTLD_DEFAULT, hooks[i].name) : nullptr;
        lookup_failed |= !real || !global;
        if (!real || real != global) continue;  // absent, or the program's own definition comes first
        table[count++] = HookedSymbol{hooks[i].name, hooks[i].hook(), real, true};
        gRedirectedReal[i].store(real, std::memory_order_release);
    }
    // The failed lookups left "undefined symbol" for the program's next dlerror(); every caller of
    // this pass runs right after a successful dl call (or at start), whose state is "no error".
    if (lookup_failed) dlerror();
    if (count && gRealDlsym) table[count++] = HookedSymbol{"dlsym", reinterpret_cast<void*>(&leakscope_dlsym_entry), gRealDlsym};
    if (gRealDlopen) table[count++] = HookedSymbol{"dlopen", reinterpret_cast<void*>(&leakscope_dlopen_entry), gRealDlopen};
    redirectSlots(table, count);
}

void catchUp() noexcept {
    if (!gStarted.load(std::memory_order_acquire)) return;
    const unsigned long long generation = loadedModuleGeneration();
    if (generation == gGeneration.exchange(generation, std::memory_order_acq_rel)) return;
    const int saved_errno = errno;  // mprotect and process_vm_writev may set it
    redirectPass();
    errno = saved_errno;
}

// dlsym's answer for an optional name: the hook when the caller would get the real function the
// slots were redirected from. The lookup is made from libleakscope: for RTLD_DEFAULT its scope is
// the global scope the program's modules share; a handle's answer does not depend on the caller.
void* answerSymbol(void* handle, const char* name) noexcept {
    const auto hooks = optionalHooks();
    for (size_t i = 0; i < hooks.size() && i < kMaxOptional; ++i) {
        if (std::strcmp(name, hooks[i].name) != 0) continue;
        catchUp();
        void* real = gRedirectedReal[i].load(std::memory_order_acquire);
        if (!real) return nullptr;
        return dlsym(handle, name) == real ? hooks[i].hook() : nullptr;
    }
    return nullptr;
}

}  // namespace

void startOptionalHooks() noexcept {
    {
        ReentryGuard guard;
        gRealDlopen = dlsym(RTLD_DEFAULT, "dlopen");  // libc's: libleakscope exports neither
        gRealDlsym = dlsym(RTLD_DEFAULT, "dlsym");
    }
    setRealDlFunctions(gRealDlopen, gRealDlsym);
    setSymbolAnswer(answerSymbol);
    setModuleLoadListener(catchUp);
    gStarted.store(true, std::memory_order_release);
    catchUp();
}

void redirectOptionalHooksInNewModules() noexcept { catchUp(); }

}  // namespace leakscope::preload::relocation
