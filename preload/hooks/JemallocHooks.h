// The hooks of jemalloc's extended API and C23's sized frees (JemallocHooks.cpp): not exported, so
// that no process gains these names; relocation/OptionalHooks.cpp points the program's slots at them
// when the process has the real functions.
#pragma once

#include <span>

namespace leakscope::preload {

struct OptionalHook {
    const char* name;         // "mallocx", "free_sized", ...
    void* (*hook)() noexcept;  // this library's hook for the name
    // The definition behind libleakscope (dlsym RTLD_NEXT, what the hook forwards to); nullptr when
    // the process has none.
    void* (*real)() noexcept;
};

// mallocx, rallocx, xallocx, sdallocx, dallocx, free_sized, free_aligned_sized.
std::span<const OptionalHook> optionalHooks() noexcept;

}  // namespace leakscope::preload
