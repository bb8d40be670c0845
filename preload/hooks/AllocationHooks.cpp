// The interposed allocator: one thin function per symbol. Each reads top to bottom as
// hook -> guard -> (stack, fault injection) -> real call -> record; the work is in MemoryTracker.
//
// Order matters in two places: free() takes the block out of the live table *before* the real free
// (afterwards another thread may already have been handed the same address), and realloc() lets
// MemoryTracker run the real call between detaching and re-inserting for the same reason.
#include <cerrno>
#include <cstring>
#include <malloc.h>
#include <stdlib.h>

#include "hooks/AllocationSupport.h"
#include "tracker/MemoryTracker.h"
#include "hooks/RealFunctions.h"
#include "hooks/Export.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"


namespace leakscope::preload {
namespace {

// n * size, or SIZE_MAX when it overflows (the real function then fails and reports it).
inline size_t productOrMax(size_t count, size_t size) noexcept {
    size_t total;
    return __builtin_mul_overflow(count, size, &total) ? SIZE_MAX : total;
}

// realloc of a block from the bootstrap pool: it cannot be resized in place or freed, so move it.
void* moveOutOfBootstrapPool(void* pointer, size_t size) noexcept {
    void* moved = malloc(size);
    if (moved) {
        size_t old_size = bootstrapSize(pointer);
        std::memcpy(moved, pointer, old_size < size ? old_size : size);
    }
    return moved;
}

}  // namespace
}  // namespace leakscope::preload

using namespace leakscope::preload;

LEAKSCOPE_EXPORT void* malloc(size_t size) {
    return allocateThrough(size, 16, [size](const RealAllocator& real) { return real.malloc(size); });
}

LEAKSCOPE_EXPORT void* calloc(size_t count, size_t size) {
    return allocateThrough(productOrMax(count, size), 16,
                           [count, size](const RealAllocator& real) { return real.calloc(count, size); });
}

LEAKSCOPE_EXPORT void free(void* pointer) {
    if (!pointer) return;
    releaseThrough(pointer, [pointer](const RealAllocator& real) { real.free(pointer); });
}

LEAKSCOPE_EXPORT void* realloc(void* pointer, size_t size) {
    if (!pointer)
        return allocateThrough(size, 16, [size](const RealAllocator& real) { return real.realloc(nullptr, size); });
    if (isBootstrapPointer(pointer)) return moveOutOfBootstrapPool(pointer, size);
    ReentryGuard guard;
    const RealAllocator& real = realAllocator();
    if (!real.realloc) return nullptr;
    if (!memoryHooksTrack()) return real.realloc(pointer, size);
    return memory::reallocate(pointer, size, guard.owns(), real.realloc);
}

LEAKSCOPE_EXPORT void* reallocarray(void* pointer, size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;  // exactly what glibc's reallocarray does, without touching the block
        return nullptr;
    }
    return realloc(pointer, total);
}

LEAKSCOPE_EXPORT int posix_memalign(void** result, size_t alignment, size_t size) {
    int status = ENOMEM;  // what a bootstrap-pool miss or an injected failure means
    void* pointer = allocateThrough(size, alignment, [&](const RealAllocator& real) -> void* {
        void* block = nullptr;
        status = real.posix_memalign(&block, alignment, size);
        return status == 0 ? block : nullptr;
    });
    if (pointer) status = 0;
    if (status == 0) *result = pointer;  // *result is left alone on failure, as glibc does
    return status;
}

LEAKSCOPE_EXPORT void* aligned_alloc(size_t alignment, size_t size) {
    return allocateThrough(size, alignment,
                           [alignment, size](const RealAllocator& real) { return real.aligned_alloc(alignment, size); });
}

LEAKSCOPE_EXPORT void* memalign(size_t alignment, size_t size) {
    return allocateThrough(size, alignment,
                           [alignment, size](const RealAllocator& real) { return real.memalign(alignment, size); });
}

LEAKSCOPE_EXPORT void* valloc(size_t size) {
    return allocateThrough(size, 4096, [size](const RealAllocator& real) { return real.valloc(size); });
}

LEAKSCOPE_EXPORT void* pvalloc(size_t size) {
    return allocateThrough(size, 4096, [size](const RealAllocator& real) { return real.pvalloc(size); });
}

LEAKSCOPE_EXPORT size_t malloc_usable_size(void* pointer) {
    if (!pointer) return 0;
    if (isBootstrapPointer(pointer)) return bootstrapSize(pointer);
    const RealAllocator& real = realAllocator();
    return real.malloc_usable_size ? real.malloc_usable_size(pointer) : 0;
}
