// Unwinder.h's implementation: the CFA-rule cache walk (CfiWalker.h) for every stack it can follow,
// and libunwind's unw_backtrace for the rest, from a privately dlopen'd libunwind.so.8 whose symbols
// never reach the target's global scope.
#include <atomic>
#include <cstdint>
#include <dlfcn.h>

#include "unwind/CfiWalker.h"
#include "lifecycle/TrackerFds.h"
#include "unwind/Unwinder.h"

namespace leakscope::preload::unwinder {
namespace {

using BacktraceFunction = int (*)(void**, int);
std::atomic<BacktraceFunction> gBacktrace{nullptr};

}  // namespace

bool initialise() noexcept {
    if (gBacktrace.load(std::memory_order_acquire)) return true;
    TrackerOwnCodeScope own_code;  // libunwind opens its address-check pipe: keep it out of the program's fds
    // RTLD_LOCAL keeps _Unwind_* and backtrace out of the global scope (see Unwinder.h);
    // RTLD_NOW so that no lazy binding happens later inside a hook.
    void* library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!library) return false;
    // Without the rule cache every walk goes to libunwind: slower, never wrong.
    cfi_walker::initialise();
    auto function = reinterpret_cast<BacktraceFunction>(dlsym(library, "unw_backtrace"));
    if (!function) return false;
    // The first walk builds libunwind's caches (and may allocate): do it here, on the cold path.
    void* warm_up[4];
    function(warm_up, 4);
    gBacktrace.store(function, std::memory_order_release);
    return true;
}

bool ready() noexcept { return gBacktrace.load(std::memory_order_acquire) != nullptr; }

int capture(void** frames, int capacity, bool* unchanged) noexcept {
    *unchanged = false;
    BacktraceFunction function = gBacktrace.load(std::memory_order_acquire);
    if (!function || capacity <= 0) return 0;
    static_assert(sizeof(void*) == sizeof(uint64_t));
    int count = cfi_walker::walk(reinterpret_cast<uint64_t*>(frames), capacity, unchanged);
    if (count >= 0) return count;
    TrackerOwnCodeScope own_code;  // libunwind may reopen its pipe mid-walk (after a close-all)
    count = function(frames, capacity);
    return count < 0 ? 0 : count;
}

const char* name() noexcept {
    return "CFA-rule cache walk, falling back to libunwind unw_backtrace (dlopen RTLD_LOCAL)";
}

}  // namespace leakscope::preload::unwinder
