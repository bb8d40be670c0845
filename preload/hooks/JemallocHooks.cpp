// jemalloc's extended API (mallocx, rallocx, xallocx, sdallocx, dallocx) and C23's free_sized /
// free_aligned_sized, tracked when the process has them, and only then.
//
// A program linked with jemalloc (or with it in LD_PRELOAD after libleakscope) allocates through these
// as well as through malloc/free: without them a mallocx leak is missed and the free() of a mallocx
// block is a "bad free". glibc 2.36 has none of them, so the preload must not make them appear: a
// program that probes `dlsym(RTLD_DEFAULT, "mallocx")` or declares `mallocx` weak to find out whether
// jemalloc is there would otherwise take its jemalloc path without jemalloc.
//
// So each symbol is a GNU indirect function (STT_GNU_IFUNC). The dynamic linker asks its resolver for
// the address when it binds a reference (at startup for eager and weak references, at the first call
// for lazy ones, on every dlsym). The resolver looks the real function up behind libleakscope
// (dlsym RTLD_NEXT, hooks/RealFunctions.h) and answers the hook when there is one, and nullptr when
// there is none: a weak reference reads null and dlsym returns NULL, as without the tool (dlerror()
// then says nothing instead of "undefined symbol", the one difference left).
//
// nallocx and sallocx only compute or query sizes and are not interposed; malloc_usable_size is
// (AllocationHooks.cpp). Flags (MALLOCX_ALIGN, MALLOCX_ZERO, arena, tcache) reach the real call
// untouched.
#include <cerrno>
#include <cstddef>

#include "hooks/AllocationSupport.h"
#include "hooks/Export.h"
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

// True once the dynamic linker has applied libleakscope's own relocations. A resolver can run before
// that, when an object relocated earlier binds one of these symbols eagerly (LD_BIND_NOW, a weak
// reference in a library; glibc then prints its "Relink" warning): no function outside this object
// may be called yet, so the resolver answers the hook, which copes when the real function turns out
// to be missing. Read through volatile: the compiler would otherwise fold the comparison to true.
const void* const gSelf = &gSelf;
bool selfRelocated() noexcept {
    return *static_cast<const void* const volatile*>(&gSelf) == static_cast<const void*>(&gSelf);
}

template <typename Function>
Function hookIfPresent(RealFunction<Function>& real, Function hook) noexcept {
    return !selfRelocated() || real.get() ? hook : nullptr;
}

// The real release behind a freeing hook; without it (only when a resolver had to answer before it
// could look, see selfRelocated), the block came from the process's malloc and free() is its release.
template <typename Function, typename... Args>
void releaseWith(RealFunction<Function>& real, const RealAllocator& allocator, void* pointer, Args... args) {
    if (const Function function = real.get()) {
        function(pointer, args...);
    } else {
        allocator.free(pointer);
    }
}

// The hooks (not noexcept: their types are the real functions'). The real function exists whenever a
// resolver could look; otherwise allocating fails with ENOMEM, resizing in place does nothing and
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

}  // namespace
}  // namespace leakscope::preload

using namespace leakscope::preload;

// One resolver per symbol, named in the ifunc attribute (hidden like everything not exported).
#define LEAKSCOPE_OPTIONAL_HOOK(name, real, hook)                                              \
    extern "C" decltype(&hook) leakscope_resolve_##name() noexcept { return hookIfPresent(real, &hook); } \
    LEAKSCOPE_EXPORT decltype(hook) name __attribute__((ifunc("leakscope_resolve_" #name)));

LEAKSCOPE_OPTIONAL_HOOK(mallocx, gRealMallocx, trackedMallocx)
LEAKSCOPE_OPTIONAL_HOOK(rallocx, gRealRallocx, trackedRallocx)
LEAKSCOPE_OPTIONAL_HOOK(xallocx, gRealXallocx, trackedXallocx)
LEAKSCOPE_OPTIONAL_HOOK(sdallocx, gRealSdallocx, trackedSdallocx)
LEAKSCOPE_OPTIONAL_HOOK(dallocx, gRealDallocx, trackedDallocx)
LEAKSCOPE_OPTIONAL_HOOK(free_sized, gRealFreeSized, trackedFreeSized)
LEAKSCOPE_OPTIONAL_HOOK(free_aligned_sized, gRealFreeAlignedSized, trackedFreeAlignedSized)
