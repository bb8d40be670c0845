// The real allocator behind the hooks: dlsym(RTLD_NEXT) once, plus the named bootstrap pool that
// serves the few allocations dlsym itself makes before the real calloc/malloc are known.
#pragma once

#include <cstddef>

namespace leakscope::preload {

struct RealAllocator {
    void* (*malloc)(size_t);
    void (*free)(void*);
    void* (*calloc)(size_t, size_t);
    void* (*realloc)(void*, size_t);
    int (*posix_memalign)(void**, size_t, size_t);
    void* (*aligned_alloc)(size_t, size_t);
    void* (*memalign)(size_t, size_t);
    void* (*valloc)(size_t);
    void* (*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void*);
};

// Resolves every member once (idempotent, thread-safe; re-entrant calls during the resolution see
// nullptr members and must use the bootstrap pool). Returns the table; members may still be nullptr
// only while the resolution is in progress on this thread.
const RealAllocator& realAllocator() noexcept;

// The bootstrap pool ("dlsym bootstrap pool"): a static bump allocator, 16-byte aligned, never freed.
void* bootstrapAllocate(size_t size, size_t alignment) noexcept;
bool isBootstrapPointer(const void* pointer) noexcept;
// Requested size of a bootstrap allocation (for realloc out of the pool).
size_t bootstrapSize(const void* pointer) noexcept;

}  // namespace leakscope::preload
