// The walk over the rule cache, with its per-thread memo (see CfiWalker.h). Rules come from
// CfiRuleCache.h (parsed by EhFrameParser.h on a miss); this file only applies them.
#include "unwind/CfiWalker.h"

#include <atomic>

#include "unwind/CfiRule.h"
#include "unwind/CfiRuleCache.h"
#include "leakscope/ReturnAddress.h"

namespace leakscope::preload::cfi_walker {
namespace {

// The previous walk of this thread. A loop allocating from one site walks the same frames every time,
// so the memo makes that walk a row of compares:
//  - a walk is a deterministic function of its starting rsp (and rbp, when a rule reads rbp before any
//    frame restored it from the stack), the rules of its pcs and the stack words it reads (return
//    addresses, and the saved rbps that a later CFA is computed from). When the start matches and
//    every word read last time still holds the same value, this walk would read the same words and
//    yield the same frames, so it is not done: the caller reuses the stack id it derived last time.
//  - otherwise each level whose pc equals the previous walk's at that level takes its rule from the
//    memo instead of probing the cache.
constexpr int kMemoFrames = 64;

struct WalkMemo {
    uint64_t generation = 0;
    int count = -1;  // frames of the previous walk; -1: none, too deep, or it needed the full unwinder
    int capacity = 0;
    int words = 0;
    bool start_rbp_used = false;
    uint64_t start_sp = 0, start_rbp = 0;
    uint64_t pc[kMemoFrames] = {};  // the pc each level looked up (ra - 1 for callers)
    uint64_t rule[kMemoFrames] = {};
    uint64_t word_address[2 * kMemoFrames] = {};
    uint64_t word_value[2 * kMemoFrames] = {};
};

thread_local WalkMemo tMemo __attribute__((tls_model("initial-exec")));

}  // namespace

inline uint64_t loadWord(uint64_t address) noexcept { return *reinterpret_cast<const uint64_t*>(address); }

// True when the stack still holds every word the memo's walk read (see WalkMemo).
inline bool memoStillHolds(const WalkMemo& memo, int capacity, uint64_t sp, uint64_t bp) noexcept {
    if (memo.count <= 0 || memo.capacity != capacity || memo.start_sp != sp) return false;
    if (memo.start_rbp_used && memo.start_rbp != bp) return false;
    // Four words per step, differences or'ed together: the common outcome is "all equal".
    int i = 0;
    for (; i + 4 <= memo.words; i += 4) {
        uint64_t differ = (loadWord(memo.word_address[i]) ^ memo.word_value[i]) |
                          (loadWord(memo.word_address[i + 1]) ^ memo.word_value[i + 1]) |
                          (loadWord(memo.word_address[i + 2]) ^ memo.word_value[i + 2]) |
                          (loadWord(memo.word_address[i + 3]) ^ memo.word_value[i + 3]);
        if (differ) return false;
    }
    for (; i < memo.words; ++i)
        if (loadWord(memo.word_address[i]) != memo.word_value[i]) return false;
    return true;
}

__attribute__((noinline)) int walk(uint64_t* frames, int capacity, bool* unchanged) noexcept {
    *unchanged = false;
    if (!gCache || capacity <= 0) return -1;
    WalkMemo& memo = tMemo;
    uint64_t generation = gGeneration.load(std::memory_order_acquire);
    if (memo.generation != generation) {  // a dlclose since this thread's last walk: its rules may be stale
        memo = WalkMemo{};
        memo.generation = generation;
    }
    uint64_t pc, sp, bp;
    // One asm statement, so the pc, rsp and rbp belong to the same instruction: the CFI for that pc
    // describes exactly this rsp.
    asm volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(pc), "=r"(sp), "=r"(bp));
    if (memoStillHolds(memo, capacity, sp, bp)) {
        *unchanged = true;  // frames[] is left alone: the caller reuses what it derived from them last time
        return memo.count;
    }
    int previous_count = memo.count;
    memo.count = -1;  // rebuilt below; invalid if this walk ends early
    memo.capacity = capacity;
    memo.start_sp = sp;
    memo.start_rbp = bp;
    memo.start_rbp_used = false;
    memo.words = 0;
    bool rbp_restored = false;
    uint64_t rbp_slot = 0;  // where the current bp was loaded from, until a CFA uses it
    auto remember = [&memo](uint64_t address, uint64_t value) {
        if (memo.words < 2 * kMemoFrames) {
            memo.word_address[memo.words] = address;
            memo.word_value[memo.words] = value;
        }
        ++memo.words;
    };
    uint64_t lookup_pc = pc;  // the first pc is exact; callers' are return addresses, looked up at ra - 1
    bool same = true;         // every pc so far equals the previous walk's at the same level
    int count = 0;
    for (;;) {
        frames[count] = pc;
        uint64_t rule;
        if (count < kMemoFrames) {
            if (memo.pc[count] == lookup_pc) {
                rule = memo.rule[count];
            } else {
                same = false;
                rule = ruleFor(lookup_pc);
                memo.pc[count] = lookup_pc;
                memo.rule[count] = rule;
            }
        } else {
            same = false;
            rule = ruleFor(lookup_pc);
        }
        ++count;
        if (count == capacity) break;
        uint64_t kind = kindOf(rule);
        if (kind == kOutermost) break;
        if (kind == kUnsupported) return -1;
        if (kind == kCfaFromRbp) {
            // bp decides this CFA: the word it came from is part of what the walk depends on.
            if (!rbp_restored) memo.start_rbp_used = true;
            else if (rbp_slot != 0) remember(rbp_slot, bp);
            rbp_slot = 0;
        }
        uint64_t cfa = (kind == kCfaFromRsp ? sp : bp) + static_cast<uint64_t>(cfaOffsetOf(rule));
        // The stack grows down: a CFA that does not move up is a broken chain, not a frame.
        if (cfa <= sp || (cfa & 7) != 0) return -1;
        uint64_t return_address = loadWord(cfa - 8);
        remember(cfa - 8, return_address);
        if (rule & kRbpSaved) {
            // Only remembered if a later CFA reads it: in code without frame pointers rbp is an
            // ordinary register whose saved value changes all the time and decides nothing here.
            rbp_slot = cfa + static_cast<uint64_t>(rbpOffsetOf(rule));
            bp = loadWord(rbp_slot);
            rbp_restored = true;
        }
        if (return_address == 0) break;  // some runtimes end the chain with a null return address
        sp = cfa;
        pc = return_address;
        lookup_pc = leakscope::snapshot::callSiteOf(return_address);  // the rule in force during the call
    }
    // Same pcs at every level and the same length: the very stack of this thread's previous walk.
    *unchanged = same && count == previous_count;  // frames[] written all the same
    if (count <= kMemoFrames && memo.words <= 2 * kMemoFrames) memo.count = count;
    return count;
}

void forgetThreadState() noexcept {
    releaseRuleCacheLockOwnedHere();
    tMemo.count = -1;
}

}  // namespace leakscope::preload::cfi_walker
