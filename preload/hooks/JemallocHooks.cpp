// jemalloc's extended API (mallocx, rallocx, xallocx, sdallocx, dallocx) and C23's free_sized /
// free_aligned_sized, tracked when the process has them, and only then.
//
// A program linked with jemalloc (or with it in LD_PRELOAD after libleakscope) allocates through these
// as well as through malloc/free: without them a mallocx leak is missed and the free() of a mallocx
// block is a "bad free". glibc 2.36 has none of them, so the preload must not make them appear: a
// program that probes `dlsym(RTLD_DEFAULT, "mallocx")` or declares `mallocx` weak to find out whether
// jemalloc is there would otherwise take its jemalloc path without jemalloc.
//
// So libleakscope.so does not export these names at all (an export, even a GNU indirect function that
// answers NULL without jemalloc, is bound by libraries relocated before libleakscope, and glibc then
// prints "Relink `LIB' with `libleakscope.so' for IFUNC symbol" on the program's stderr). When the
// process has the real function, relocation/OptionalHooks.cpp points every module's slots for it at
// the hook below, at start and after each dlopen, and answers the hook to dlsym.
//
// nallocx and sallocx only compute or query sizes and are not interposed; malloc_usable_size is
// (AllocationHooks.cpp). Flags (MALLOCX_ALIGN, MALLOCX_ZERO, arena, tcache) reach the real call
// untouched.
#include <cerrno>
#include <cstddef>

#include "hooks/AllocationSupport.h"
#include "hooks/JemallocHooks.h"
#include "hooks/RealFunctions.h"
#include "tracker/MemoryTracker.h"

namespace leakscope::preload {
namespace {

using MallocxFunction = void* (*)(size_t, int);
using RallocxFunction = void* (*)(void*, size_t, int);
using XallocxFunction = size_t (*)(void*, size_t, size_t, int);
using SdallocxFunction = void (*)(void*, size_t, int);
using DallocxFunction = void (*)(void*, int);
using FreeSizedFunction = void (*)(void*, size_t);
using FreeAlignedSizedFunction = void (*)(void*, size_t, size_t);

constinit RealFunction<MallocxFunction> gRealMallocx{"mallocx"};
constinit RealFunction<RallocxFunction> gRealRallocx{"rallocx"};
constinit RealFunction<XallocxFunction> gRealXallocx{"xallocx"};
constinit RealFunction<SdallocxFunction> gRealSdallocx{"sdallocx"};
constinit RealFunction<DallocxFunction> gRealDallocx{"dallocx"};
constinit RealFunction<FreeSizedFunction> gRealFreeSized{"free_sized"};
constinit RealFunction<FreeAlignedSizedFunction> gRealFreeAlignedSized{"free_aligned_sized"};

// jemalloc's MALLOCX_LG_ALIGN(la) keeps log2 of the alignment in the low 6 bits (0: none).
size_t alignmentOf(int flags) noexcept {
    const unsigned lg = static_cast<unsigned>(flags) & 0x3fU;
    return lg == 0 ? 16 : size_t{1} << lg;
}

// The real release behind a freeing hook; without it (a slot is redirected only when the real
// function exists, so only a hook reached some other way), the block came from the process's malloc
// and free() is its release.
template <typename Function, typename... Args>
void releaseWith(RealFunction<Function>& real, const RealAllocator& allocator, void* pointer, Args... args) {
    if (const Function function = real.get()) {
        function(pointer, args...);
    } else {
        allocator.free(pointer);
    }
}

// The hooks (not noexcept: their types are the real functions'). The real function exists whenever a
// slot was redirected; otherwise allocating fails with ENOMEM, resizing in place does nothing and
// freeing is free(), which is what the process without jemalloc can offer.
void* trackedMallocx(size_t size, int flags) {
    return allocateThrough(size, alignmentOf(flags), [size, flags](const RealAllocator&) -> void* {
        if (const MallocxFunction real = gRealMallocx.get()) return real(size, flags);
        errno = ENOMEM;
        return nullptr;
    });
}

void* trackedRallocx(void* pointer, size_t size, int flags) {
    ReentryGuard guard;
    const RallocxFunction real = gRealRallocx.get();
    if (!real) {
        errno = ENOMEM;  // the block stays as it was, as after a real failure
        return nullptr;
    }
    if (!memoryHooksTrack()) return real(pointer, size, flags);
    return memory::reallocate(pointer, size, guard.owns(), real, flags);
}

size_t trackedXallocx(void* pointer, size_t size, size_t extra, int flags) {
    ReentryGuard guard;
    const XallocxFunction real = gRealXallocx.get();
    if (!real) {
        const RealAllocator& allocator = realAllocator();  // "not resized": the block's present size
        return allocator.malloc_usable_size ? allocator.malloc_usable_size(pointer) : 0;
    }
    if (!memoryHooksTrack()) return real(pointer, size, extra, flags);
    return memory::resizeInPlace(pointer, size, extra, guard.owns(), real, flags);
}

void trackedSdallocx(void* pointer, size_t size, int flags) {
    releaseThrough(pointer, [=](const RealAllocator& allocator) { releaseWith(gRealSdallocx, allocator, pointer, size, flags); });
}

void trackedDallocx(void* pointer, int flags) {
    releaseThrough(pointer, [=](const RealAllocator& allocator) { releaseWith(gRealDallocx, allocator, pointer, flags); });
}

void trackedFreeSized(void* pointer, size_t size) {
    releaseThrough(pointer, [=](const RealAllocator& allocator) { releaseWith(gRealFreeSized, allocator, pointer, size); });
}

void trackedFreeAlignedSized(void* pointer, size_t alignment, size_t size) {
    releaseThrough(pointer, [=](const RealAllocator& allocator) {
        releaseWith(gRealFreeAlignedSized, allocator, pointer, alignment, size);
    });
}

template <typename Function>
void* realOf(RealFunction<Function>& real) noexcept {
    return reinterpret_cast<void*>(real.get());
}

// Addresses through functions: a reinterpret_cast is no constant expression, and the table must be
// ready (constinit) before any constructor runs.
#define LEAKSCOPE_OPTIONAL_HOOK(name, real, hook)                                  \
    OptionalHook {                                                                 \
        name, [] () noexcept { return reinterpret_cast<void*>(&hook); },          \
            [] () noexcept { return realOf(real); }                                \
    }

constinit const OptionalHook kOptionalHooks[] = {
    LEAKSCOPE_OPTIONAL_HOOK("mallocx", gRealMallocx, trackedMallocx),
    LEAKSCOPE_OPTIONAL_HOOK("rallocx", gRealRallocx, trackedRallocx),
    LEAKSCOPE_OPTIONAL_HOOK("xallocx", gRealXallocx, trackedXallocx),
    LEAKSCOPE_OPTIONAL_HOOK("sdallocx", gRealSdallocx, trackedSdallocx),
    LEAKSCOPE_OPTIONAL_HOOK("dallocx", gRealDallocx, trackedDallocx),
    LEAKSCOPE_OPTIONAL_HOOK("free_sized", gRealFreeSized, trackedFreeSized),
    LEAKSCOPE_OPTIONAL_HOOK("free_aligned_sized", gRealFreeAlignedSized, trackedFreeAlignedSized),
};
#undef LEAKSCOPE_OPTIONAL_HOOK

}  // namespace

std::span<const OptionalHook> optionalHooks() noexcept { return kOptionalHooks; }

}  // namespace leakscope::preload
