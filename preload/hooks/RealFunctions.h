// The real allocator behind the hooks: dlsym(RTLD_NEXT) once, plus the named bootstrap pool that
// serves the few allocations dlsym itself makes before the real calloc/malloc are known.
#pragma once

#include <atomic>
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

void* resolveNext(const char* name) noexcept;  // tracker/TrackerCore.h

// `leakscope attach` (preload/attach/): the library was dlopen'd RTLD_LOCAL, not preloaded, so the
// definition after it (RTLD_NEXT, its own dependencies) need not be the one the program binds to;
// the real functions are then what the global scope resolves (RTLD_DEFAULT), which never holds this
// library. Called before the first hook can run, so nothing was resolved the other way.
void resolveRealFunctionsGlobally() noexcept;

// The real function behind one interposed symbol, resolved on first use through the core's
// resolveNext (tracker/TrackerCore.h). A constinit static of it needs no __cxa_guard, which must
// not be entered from a vfork child or a half-dead process. Lock-free: two threads racing resolve twice and store the same pointer.
template <typename Function>
class RealFunction {
public:
    constexpr explicit RealFunction(const char* name) noexcept : name_(name) {}

    // nullptr when this libc does not have the symbol (callers fail with ENOSYS).
    Function get() noexcept {
        Function function = function_.load(std::memory_order_acquire);
        if (!function) {
            function = reinterpret_cast<Function>(resolveNext(name_));
            function_.store(function, std::memory_order_release);
        }
        return function;
    }

private:
    const char* name_;
    std::atomic<Function> function_{nullptr};
};

}  // namespace leakscope::preload
