// The libunwind implementation of Unwinder.h: unw_backtrace (libunwind's cached fast-trace path) from
// a privately dlopen'd libunwind.so.8 whose symbols never reach the target's global scope.
#include <atomic>
#include <dlfcn.h>

#include "Unwinder.h"

namespace leakscope::preload::unwinder {
namespace {

using BacktraceFunction = int (*)(void**, int);
std::atomic<BacktraceFunction> gBacktrace{nullptr};

}  // namespace

bool initialise() noexcept {
    if (gBacktrace.load(std::memory_order_acquire)) return true;
    // RTLD_LOCAL keeps _Unwind_* and backtrace out of the global scope (see Unwinder.h);
    // RTLD_NOW so that no lazy binding happens later inside a hook.
    void* library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!library) return false;
    auto function = reinterpret_cast<BacktraceFunction>(dlsym(library, "unw_backtrace"));
    if (!function) return false;
    // The first walk builds libunwind's caches (and may allocate): do it here, on the cold path.
    void* warm_up[4];
    function(warm_up, 4);
    gBacktrace.store(function, std::memory_order_release);
    return true;
}

bool ready() noexcept { return gBacktrace.load(std::memory_order_acquire) != nullptr; }

int capture(void** frames, int capacity) noexcept {
    BacktraceFunction function = gBacktrace.load(std::memory_order_acquire);
    if (!function || capacity <= 0) return 0;
    int count = function(frames, capacity);
    return count < 0 ? 0 : count;
}

const char* name() noexcept { return "libunwind unw_backtrace (dlopen RTLD_LOCAL)"; }

}  // namespace leakscope::preload::unwinder
