// The rule cache: a direct-mapped table pc -> packed rule (CfiRule.h), 2^14 entries of two words in
// one anonymous mapping (256 KiB reserved, touched only where used). Read without a lock on every
// frame of every walk; written under a spin lock that a miss only tries (it never waits). Rules of
// pcs the parser cannot express are cached too, so such frames go to the full unwinder at once.
// initialise(), forgetUnloadedCode() and the fork locks (CfiWalker.h) are the cache's.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace leakscope::preload::cfi_walker {

// Each entry is {pc, rule}. A writer (under gWriteLock) clears pc, writes the rule, then publishes
// pc; a reader loads pc, the rule, and pc again (the seqlock pattern), so it never pairs one pc with
// another pc's rule. On x86-64 all of it compiles to plain moves.

constexpr size_t kCacheEntries = size_t{1} << 14;  // 256 KiB reserved, touched only where used

struct CacheEntry {
    std::atomic<uint64_t> pc;
    std::atomic<uint64_t> rule;
};

// Mapped by initialise() (CfiWalker.h); null before. Read inline by the walk.
extern CacheEntry* gCache __attribute__((visibility("hidden")));
// Bumped by every dlclose: a walk or a parse that started under an older generation stores nothing.
extern std::atomic<uint64_t> gGeneration __attribute__((visibility("hidden")));

inline CacheEntry& entryFor(uint64_t pc) noexcept {
    return gCache[((pc * 0x9E3779B97F4A7C15ull) >> 40) & (kCacheEntries - 1)];
}

inline bool cachedRule(uint64_t pc, uint64_t* rule) noexcept {
    CacheEntry& entry = entryFor(pc);
    if (entry.pc.load(std::memory_order_acquire) != pc) return false;
    uint64_t value = entry.rule.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (entry.pc.load(std::memory_order_relaxed) != pc) return false;
    *rule = value;
    return true;
}

// A miss: parses the rule from the loaded modules (EhFrameParser.h) and caches it unless a dlclose
// happened meanwhile. Out of line so that the hit path stays small.
uint64_t slowRule(uint64_t pc) noexcept;

inline uint64_t ruleFor(uint64_t pc) noexcept {
    uint64_t rule;
    if (__builtin_expect(cachedRule(pc, &rule), 1)) return rule;
    return slowRule(pc);
}

// longjmp recovery (tracker/ThreadState.h): the writers' lock, when this thread owns it, is released.
void releaseRuleCacheLockOwnedHere() noexcept;

}  // namespace leakscope::preload::cfi_walker
