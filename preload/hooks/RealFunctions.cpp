// dlsym(RTLD_NEXT) for the allocator and everything else the preload interposes, with the bootstrap
// pool that answers dlsym's own calloc/malloc calls while the real ones are still being looked up.
#include "hooks/RealFunctions.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <sched.h>

#include "tracker/TrackerCore.h"

namespace leakscope::preload {
namespace {

// dlsym needs a few hundred bytes (its error buffer, a calloc'd lookup state) the first time it runs.
// 64 KiB is far more than glibc 2.36 ever asks for; running out returns nullptr, which dlsym handles.
constexpr size_t kBootstrapPoolSize = 64 * 1024;
constexpr size_t kBootstrapHeader = 16;  // the block's size lives just before it
alignas(64) unsigned char gBootstrapPool[kBootstrapPoolSize];
std::atomic<size_t> gBootstrapUsed{0};

RealAllocator gReal{};
// 0: not resolved, 1: resolving (by gResolvingThread), 2: done.
std::atomic<int> gResolveState{0};
// Set on the thread doing the resolution: its nested hook calls (from inside dlsym) must not wait.
thread_local bool tResolvingHere __attribute__((tls_model("initial-exec"))) = false;

// RTLD_NEXT when preloaded; RTLD_DEFAULT once resolveRealFunctionsGlobally() ran (attach). A bool,
// not the handle: RTLD_NEXT is a cast, so an atomic holding it would be initialised dynamically, after
// the hooks and the constructor have already looked functions up (and found 0, RTLD_DEFAULT: ourselves).
constinit std::atomic<bool> gResolveGlobally{false};

void* lookUpReal(const char* name) noexcept {
    return dlsym(gResolveGlobally.load(std::memory_order_acquire) ? RTLD_DEFAULT : RTLD_NEXT, name);
}

template <typename Function>
void lookUp(Function& slot, const char* name) noexcept {
    slot = reinterpret_cast<Function>(lookUpReal(name));
}

}  // namespace

void* bootstrapAllocate(size_t size, size_t alignment) noexcept {
    if (alignment < kBootstrapHeader) alignment = kBootstrapHeader;
    if (alignment > 4096 || size > kBootstrapPoolSize) return nullptr;
    size_t used = gBootstrapUsed.load(std::memory_order_relaxed);
    for (;;) {
        size_t start = (used + kBootstrapHeader + alignment - 1) & ~(alignment - 1);
        size_t end = start + ((size + 15) & ~size_t{15});
        if (end > kBootstrapPoolSize) return nullptr;
        if (gBootstrapUsed.compare_exchange_weak(used, end, std::memory_order_relaxed)) {
            unsigned char* block = gBootstrapPool + start;
            std::memcpy(block - sizeof(size_t), &size, sizeof(size_t));
            return block;  // static storage is already zero: calloc needs nothing more
        }
    }
}

bool isBootstrapPointer(const void* pointer) noexcept {
    auto address = reinterpret_cast<uintptr_t>(pointer);
    auto base = reinterpret_cast<uintptr_t>(gBootstrapPool);
    return address >= base && address < base + kBootstrapPoolSize;
}

size_t bootstrapSize(const void* pointer) noexcept {
    size_t size;
    std::memcpy(&size, static_cast<const unsigned char*>(pointer) - sizeof(size_t), sizeof(size_t));
    return size;
}

const RealAllocator& realAllocator() noexcept {
    if (gResolveState.load(std::memory_order_acquire) == 2) return gReal;
    int expected = 0;
    if (gResolveState.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        // Nested hook calls from inside dlsym find gReal's members null and use the bootstrap pool.
        tResolvingHere = true;
        RealAllocator resolved{};
        lookUp(resolved.malloc, "malloc");
        lookUp(resolved.free, "free");
        lookUp(resolved.calloc, "calloc");
        lookUp(resolved.realloc, "realloc");
        lookUp(resolved.posix_memalign, "posix_memalign");
        lookUp(resolved.aligned_alloc, "aligned_alloc");
        lookUp(resolved.memalign, "memalign");
        lookUp(resolved.valloc, "valloc");
        lookUp(resolved.pvalloc, "pvalloc");
        lookUp(resolved.malloc_usable_size, "malloc_usable_size");
        gReal = resolved;
        tResolvingHere = false;
        gResolveState.store(2, std::memory_order_release);
        return gReal;
    }
    // This thread is resolving, re-entered from dlsym: gReal is still empty and the caller falls
    // back to the pool. Another thread is resolving: wait, it takes microseconds.
    if (tResolvingHere) return gReal;
    while (gResolveState.load(std::memory_order_acquire) != 2) sched_yield();
    return gReal;
}

void resolveRealFunctionsGlobally() noexcept { gResolveGlobally.store(true, std::memory_order_release); }

void* resolveNext(const char* name) noexcept {
    ReentryGuard guard;  // dlsym allocates; those allocations are the tracker's, not the program's
    realAllocator();
    return lookUpReal(name);
}

}  // namespace leakscope::preload
