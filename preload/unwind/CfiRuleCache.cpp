// The rule cache's writer side (see CfiRuleCache.h).
#include "unwind/CfiRuleCache.h"

#include <sys/mman.h>

#include "tables/SpinLock.h"
#include "unwind/CfiWalker.h"
#include "unwind/EhFrameParser.h"

namespace leakscope::preload::cfi_walker {

CacheEntry* gCache = nullptr;
std::atomic<uint64_t> gGeneration{0};

namespace {

SpinLock gWriteLock;

void storeRule(uint64_t pc, uint64_t rule, uint64_t generation) noexcept {
    // tryLock: a miss never waits (and a fork child can never find this lock held forever).
    if (!gWriteLock.tryLock()) return;
    if (gGeneration.load(std::memory_order_acquire) == generation) {
        CacheEntry& entry = entryFor(pc);
        entry.pc.store(0, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        entry.rule.store(rule, std::memory_order_relaxed);
        entry.pc.store(pc, std::memory_order_release);
    }
    gWriteLock.unlock();
}

}  // namespace

__attribute__((noinline)) uint64_t slowRule(uint64_t pc) noexcept {
    uint64_t generation = gGeneration.load(std::memory_order_acquire);
    uint64_t rule = ruleFromLoadedModules(pc);
    storeRule(pc, rule, generation);  // unsupported pcs are cached too: they go to the full unwinder at once
    return rule;
}

bool initialise() noexcept {
    if (gCache) return true;
    void* memory = mmap(nullptr, kCacheEntries * sizeof(CacheEntry), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return false;
    gCache = static_cast<CacheEntry*>(memory);
    return true;
}

void forgetUnloadedCode() noexcept {
    if (!gCache) return;
    gGeneration.fetch_add(1, std::memory_order_acq_rel);
    SpinLockHolder hold(gWriteLock);
    for (size_t i = 0; i < kCacheEntries; ++i)
        if (gCache[i].pc.load(std::memory_order_relaxed) != 0) gCache[i].pc.store(0, std::memory_order_relaxed);
}

void releaseRuleCacheLockOwnedHere() noexcept { gWriteLock.releaseIfOwnedHere(); }
void lockForFork() noexcept { gWriteLock.lock(); }
void unlockAfterFork() noexcept { gWriteLock.unlock(); }

}  // namespace leakscope::preload::cfi_walker
