// The shared bodies of the allocating and releasing hooks (AllocationHooks.cpp for the C and POSIX
// allocator, JemallocHooks.cpp for jemalloc's extended API and C23's sized frees). Always inlined, so
// that each exported hook stays one frame and __builtin_return_address(0) is its caller.
#pragma once

#include <cerrno>
#include <cstddef>

#include "hooks/RealFunctions.h"
#include "tracker/MemoryTracker.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {

// Shared body of every allocating hook. `call` performs the real allocation; `bootstrap_alignment`
// is what the bootstrap pool must honour while dlsym is still resolving the real functions.
// `caller`: the hook's return address (the program's code, or libleakscope's own).
template <typename RealCall>
[[gnu::always_inline]] inline void* allocateThrough(size_t size, size_t bootstrap_alignment, RealCall call,
                                                    const void* caller) noexcept {
    ReentryGuard guard;
    const RealAllocator& real = realAllocator();
    if (!real.malloc) return bootstrapAllocate(size, bootstrap_alignment);  // inside dlsym, first call only
    if (!memoryHooksTrack()) return call(real);
    // The tracker's own allocations (nested in a hook, or straight from the preload's code, such as
    // the static C++ runtime's constructors that run before any guard exists) are never the program's.
    if (!guard.owns() || isOwnCode(caller)) {
        void* pointer = call(real);
        memory::recordInternalAllocation(pointer, size);
        return pointer;
    }
    uint32_t stack_id = 0;
    if (memory::prepareAllocation(size, &stack_id)) {
        errno = ENOMEM;
        return nullptr;
    }
    void* pointer = call(real);
    memory::recordAllocation(pointer, size, stack_id);
    return pointer;
}

template <typename RealCall>
[[gnu::always_inline]] inline void* allocateThrough(size_t size, size_t bootstrap_alignment, RealCall call) noexcept {
    return allocateThrough(size, bootstrap_alignment, call, __builtin_return_address(0));
}

// Shared body of every releasing hook (free, sdallocx, dallocx, free_sized, ...): the block leaves the
// live table *before* `call` runs the real release (afterwards another thread may already have been
// handed the same address). A null pointer is passed on without being recorded.
template <typename RealCall>
[[gnu::always_inline]] inline void releaseThrough(void* pointer, RealCall call) noexcept {
    if (isBootstrapPointer(pointer)) return;  // bootstrap blocks are never given back
    ReentryGuard guard;
    const RealAllocator& real = realAllocator();
    if (!real.free) return;  // only possible inside dlsym's first call: leaking is the safe answer
    if (pointer && memoryHooksTrack()) memory::recordFree(pointer, guard.owns());
    call(real);
}

}  // namespace leakscope::preload
