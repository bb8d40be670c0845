// The C++ operator new/delete family (throwing, nothrow, align_val_t, sized), interposed so that a
// program whose operator new is an allocator's own (jemalloc's libjemalloc.so.2 and tcmalloc export
// the whole family and serve it without calling malloc) has its `new` leaks found.
//
// Each hook looks its next definition up once (dlsym RTLD_NEXT, then a libstdc++ already loaded
// without RTLD_GLOBAL) and asks dladdr where it lives:
//   - in the object that also provides the real malloc (jemalloc, tcmalloc): the hook records the
//     block (size, stack) and the delete family records frees, as the malloc hooks do;
//   - anywhere else (libstdc++, libc++): that operator new calls malloc, which is hooked already, so
//     the hook is a pure pass-through (a tail call: no frame, no second record);
//   - nowhere (a C program, or a C++ library the dynamic linker keeps out of reach): the hook
//     allocates with the hooked allocator's real malloc/aligned_alloc and records, and delete is free.
// Calls from libleakscope's own code (its statically linked C++ runtime) allocate with malloc and
// free with free: the tracker's own blocks, never the program's, whatever the process's new is.
//
// Exceptions: the preload is built without them, so no hook holds a ReentryGuard (or anything with a
// destructor) while a real operator new that may throw std::bad_alloc runs; the exception then passes
// through the hook's frame (it has unwind tables and no cleanup) to the program's handler. A failure
// injected into a throwing operator new is made real by asking the allocator for SIZE_MAX bytes, so
// the program sees its own std::bad_alloc (after its new_handler, as on a real out-of-memory).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <new>

#include "hooks/AllocationSupport.h"
#include "hooks/RealFunctions.h"
#include "tracker/MemoryTracker.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

// The next definition of one operator, resolved on the first call from outside libleakscope.
struct NextOperator {
    const char* name;
    std::atomic<void*> address{nullptr};
    std::atomic<bool> record{false};  // it is an allocator's own: the hook records
};

bool sameObject(const void* a, const void* b) noexcept {
    Dl_info first{}, second{};
    return a && b && dladdr(a, &first) != 0 && dladdr(b, &second) != 0 && first.dli_fbase == second.dli_fbase;
}

// A libstdc++ loaded by a library dlopen'ed without RTLD_GLOBAL (a C interpreter's C++ extension)
// is not behind libleakscope in the global scope, but it still defines the operator its code calls.
void* fromLoadedLibstdcxx(const char* name) noexcept {
    void* handle = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) return nullptr;
    void* address = dlsym(handle, name);
    dlclose(handle);
    return address;
}

// nullptr when no definition is reachable (not cached: a libstdc++ loaded later is found then).
[[gnu::noinline]] void* resolveOperatorSlowly(NextOperator& next) noexcept {
    ReentryGuard guard;  // dlsym and dladdr allocate: the tracker's blocks
    void* address = resolveNext(next.name);
    if (!address) address = fromLoadedLibstdcxx(next.name);
    if (!address) return nullptr;
    next.record.store(sameObject(address, reinterpret_cast<const void*>(realAllocator().malloc)),
                      std::memory_order_relaxed);
    next.address.store(address, std::memory_order_release);
    return address;
}

inline void* resolveOperator(NextOperator& next) noexcept {
    void* address = next.address.load(std::memory_order_acquire);
    return address ? address : resolveOperatorSlowly(next);
}

// libleakscope's own `new`: through the hooked malloc, which sees its caller is libleakscope.
void* ownAllocation(size_t size, size_t alignment, bool nothrow) noexcept {
    void* pointer = alignment > 16 ? aligned_alloc(alignment, (size + alignment - 1) & ~(alignment - 1))
                                   : malloc(size);
    if (!pointer && !nothrow) abort();  // what the static runtime's new did: terminate, no exceptions here
    return pointer;
}

// An allocator's own operator new, recorded. `allocate(n)` calls it; it may throw (nothing held then).
template <typename Allocate>
void* recordedAllocation(size_t size, bool nothrow, Allocate allocate) {
    uint32_t stack_id = 0;
    bool track, internal = false, injected = false;
    {
        ReentryGuard guard;
        track = memoryHooksTrack();
        if (track) {
            internal = !guard.owns();  // nested in another hook: the tracker's (or its unwinder's) block
            if (!internal) injected = memory::prepareAllocation(size, &stack_id);
        }
    }
    if (injected) return nothrow ? nullptr : allocate(SIZE_MAX);  // throws the program's bad_alloc
    void* pointer = allocate(size);
    if (track) {
        ReentryGuard guard;
        if (internal) {
            memory::recordInternalAllocation(pointer, size);
        } else {
            memory::recordAllocation(pointer, size, stack_id);  // NULL (nothrow): a failed allocation
        }
    }
    return pointer;
}

// The operator new hooks' slow paths, out of line so that the pass-through stays a few instructions:
// libleakscope's own call, the first call (resolution), an allocator's operator new to record, or no
// operator new reachable at all. `caller`: the hook's return address.
template <typename Function, typename... Rest>
[[gnu::noinline]] void* newSlowly(NextOperator& next_operator, bool nothrow, size_t alignment, const void* caller,
                                  size_t size, Rest... rest) {
    if (isOwnCode(caller)) return ownAllocation(size, alignment, nothrow);
    const auto next = reinterpret_cast<Function>(resolveOperator(next_operator));
    if (!next) {
        void* pointer = allocateThrough(
            size, alignment < 16 ? 16 : alignment,
            [=](const RealAllocator& real) {
                return alignment > 16 ? real.aligned_alloc(alignment, (size + alignment - 1) & ~(alignment - 1))
                                      : real.malloc(size);
            },
            caller);
        if (!pointer && !nothrow) abort();  // no C++ runtime reachable to throw std::bad_alloc
        return pointer;
    }
    if (!next_operator.record.load(std::memory_order_relaxed)) return next(size, rest...);
    return recordedAllocation(size, nothrow, [=](size_t bytes) { return next(bytes, rest...); });
}

// Shared body of the operator new hooks. Always inlined, so __builtin_return_address(0) is the hook's
// caller. `Function` is the operator's type; `rest` its arguments after the size. The common case,
// libstdc++'s operator new behind the hook, is a tail call to it.
template <typename Function, typename... Rest>
[[gnu::always_inline]] inline void* newThrough(NextOperator& next_operator, bool nothrow, size_t alignment,
                                               size_t size, const Rest&... rest) {
    const void* caller = __builtin_return_address(0);
    const auto next = reinterpret_cast<Function>(next_operator.address.load(std::memory_order_acquire));
    if (next && !next_operator.record.load(std::memory_order_relaxed) && !isOwnCode(caller)) [[likely]]
        return next(size, rest...);  // tail call: no frame, the block is recorded by the hooked malloc
    return newSlowly<Function, Rest...>(next_operator, nothrow, alignment, caller, size, rest...);
}

// The operator delete hooks' slow paths (never throw), as newSlowly.
template <typename Function, typename... Rest>
[[gnu::noinline]] void deleteSlowly(NextOperator& next_operator, const void* caller, void* pointer,
                                    Rest... rest) noexcept {
    if (isOwnCode(caller)) return free(pointer);  // a block of ownAllocation
    const auto next = reinterpret_cast<Function>(resolveOperator(next_operator));
    if (!next) return free(pointer);  // the block came from newSlowly's malloc fallback
    if (!next_operator.record.load(std::memory_order_relaxed)) return next(pointer, rest...);
    releaseThrough(pointer, [=](const RealAllocator&) { next(pointer, rest...); });
}

template <typename Function, typename... Rest>
[[gnu::always_inline]] inline void deleteThrough(NextOperator& next_operator, void* pointer, const Rest&... rest) noexcept {
    const void* caller = __builtin_return_address(0);
    const auto next = reinterpret_cast<Function>(next_operator.address.load(std::memory_order_acquire));
    if (next && !next_operator.record.load(std::memory_order_relaxed) && !isOwnCode(caller)) [[likely]]
        return next(pointer, rest...);  // tail call
    deleteSlowly<Function, Rest...>(next_operator, caller, pointer, rest...);
}

constinit NextOperator gNew{"_Znwm"};
constinit NextOperator gNewArray{"_Znam"};
constinit NextOperator gNewNothrow{"_ZnwmRKSt9nothrow_t"};
constinit NextOperator gNewArrayNothrow{"_ZnamRKSt9nothrow_t"};
constinit NextOperator gNewAligned{"_ZnwmSt11align_val_t"};
constinit NextOperator gNewArrayAligned{"_ZnamSt11align_val_t"};
constinit NextOperator gNewAlignedNothrow{"_ZnwmSt11align_val_tRKSt9nothrow_t"};
constinit NextOperator gNewArrayAlignedNothrow{"_ZnamSt11align_val_tRKSt9nothrow_t"};
constinit NextOperator gDelete{"_ZdlPv"};
constinit NextOperator gDeleteArray{"_ZdaPv"};
constinit NextOperator gDeleteNothrow{"_ZdlPvRKSt9nothrow_t"};
constinit NextOperator gDeleteArrayNothrow{"_ZdaPvRKSt9nothrow_t"};
constinit NextOperator gDeleteSized{"_ZdlPvm"};
constinit NextOperator gDeleteArraySized{"_ZdaPvm"};
constinit NextOperator gDeleteAligned{"_ZdlPvSt11align_val_t"};
constinit NextOperator gDeleteArrayAligned{"_ZdaPvSt11align_val_t"};
constinit NextOperator gDeleteSizedAligned{"_ZdlPvmSt11align_val_t"};
constinit NextOperator gDeleteArraySizedAligned{"_ZdaPvmSt11align_val_t"};
constinit NextOperator gDeleteAlignedNothrow{"_ZdlPvSt11align_val_tRKSt9nothrow_t"};
constinit NextOperator gDeleteArrayAlignedNothrow{"_ZdaPvSt11align_val_tRKSt9nothrow_t"};

using Nothrow = const std::nothrow_t&;
using Align = std::align_val_t;

}  // namespace
}  // namespace leakscope::preload

using namespace leakscope::preload;

#define LEAKSCOPE_CXX_EXPORT __attribute__((visibility("default")))

LEAKSCOPE_CXX_EXPORT void* operator new(size_t size) {
    return newThrough<void* (*)(size_t)>(gNew, false, 0, size);
}
LEAKSCOPE_CXX_EXPORT void* operator new[](size_t size) {
    return newThrough<void* (*)(size_t)>(gNewArray, false, 0, size);
}
LEAKSCOPE_CXX_EXPORT void* operator new(size_t size, Nothrow tag) noexcept {
    return newThrough<void* (*)(size_t, Nothrow)>(gNewNothrow, true, 0, size, tag);
}
LEAKSCOPE_CXX_EXPORT void* operator new[](size_t size, Nothrow tag) noexcept {
    return newThrough<void* (*)(size_t, Nothrow)>(gNewArrayNothrow, true, 0, size, tag);
}
LEAKSCOPE_CXX_EXPORT void* operator new(size_t size, Align alignment) {
    return newThrough<void* (*)(size_t, Align)>(gNewAligned, false, static_cast<size_t>(alignment), size, alignment);
}
LEAKSCOPE_CXX_EXPORT void* operator new[](size_t size, Align alignment) {
    return newThrough<void* (*)(size_t, Align)>(gNewArrayAligned, false, static_cast<size_t>(alignment), size,
                                                alignment);
}
LEAKSCOPE_CXX_EXPORT void* operator new(size_t size, Align alignment, Nothrow tag) noexcept {
    return newThrough<void* (*)(size_t, Align, Nothrow)>(gNewAlignedNothrow, true, static_cast<size_t>(alignment),
                                                         size, alignment, tag);
}
LEAKSCOPE_CXX_EXPORT void* operator new[](size_t size, Align alignment, Nothrow tag) noexcept {
    return newThrough<void* (*)(size_t, Align, Nothrow)>(gNewArrayAlignedNothrow, true,
                                                         static_cast<size_t>(alignment), size, alignment, tag);
}

LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer) noexcept {
    deleteThrough<void (*)(void*)>(gDelete, pointer);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer) noexcept {
    deleteThrough<void (*)(void*)>(gDeleteArray, pointer);
}
LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer, Nothrow tag) noexcept {
    deleteThrough<void (*)(void*, Nothrow)>(gDeleteNothrow, pointer, tag);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer, Nothrow tag) noexcept {
    deleteThrough<void (*)(void*, Nothrow)>(gDeleteArrayNothrow, pointer, tag);
}
LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer, size_t size) noexcept {
    deleteThrough<void (*)(void*, size_t)>(gDeleteSized, pointer, size);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer, size_t size) noexcept {
    deleteThrough<void (*)(void*, size_t)>(gDeleteArraySized, pointer, size);
}
LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer, Align alignment) noexcept {
    deleteThrough<void (*)(void*, Align)>(gDeleteAligned, pointer, alignment);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer, Align alignment) noexcept {
    deleteThrough<void (*)(void*, Align)>(gDeleteArrayAligned, pointer, alignment);
}
LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer, size_t size, Align alignment) noexcept {
    deleteThrough<void (*)(void*, size_t, Align)>(gDeleteSizedAligned, pointer, size, alignment);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer, size_t size, Align alignment) noexcept {
    deleteThrough<void (*)(void*, size_t, Align)>(gDeleteArraySizedAligned, pointer, size, alignment);
}
LEAKSCOPE_CXX_EXPORT void operator delete(void* pointer, Align alignment, Nothrow tag) noexcept {
    deleteThrough<void (*)(void*, Align, Nothrow)>(gDeleteAlignedNothrow, pointer, alignment, tag);
}
LEAKSCOPE_CXX_EXPORT void operator delete[](void* pointer, Align alignment, Nothrow tag) noexcept {
    deleteThrough<void (*)(void*, Align, Nothrow)>(gDeleteArrayAlignedNothrow, pointer, alignment, tag);
}
