// The walk over the rule cache, with its per-thread memo (see CfiWalker.h). Rules come from
// CfiRuleCache.h (parsed by EhFrameParser.h on a miss); this file only applies them.
#include "unwind/CfiWalker.h"

#include <atomic>
#include <cstring>
#include <emmintrin.h>

#include "tracker/TrackerInternals.h"
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
// The words are kept so that the check is a few SSE2 instructions per two words (x86-64's baseline,
// no dispatch), four words to a loop step: a frame-pointer frame's saved rbp and return address are adjacent (rbp + 0, rbp + 8)
// and are compared as one unaligned 16-byte load ("pairs"); every other word is a "single", loaded two
// at a time into one register.
constexpr int kMemoFrames = 64;
constexpr int kMemoSingles = 2 * kMemoFrames;  // a walk of kMemoFrames reads at most this many words

const uint64_t kNeverChanges[2] = {0, 0};  // what padding entries point at

struct alignas(16) WalkMemo {
    uint64_t generation = 0;
    int count = -1;  // frames of the previous walk; -1: none, too deep, or it needed the full unwinder
    uint64_t limits = 0;  // WalkLimits::key() of that walk: a walk with other limits stops elsewhere
    int singles = 0;  // padded to an even count once the walk is complete
    int pairs = 0;
    bool overflow = false;  // more words than the arrays hold: the walk cannot be reused
    bool start_rbp_used = false;
    uint64_t start_sp = 0, start_rbp = 0;
    uint64_t pc[kMemoFrames] = {};  // the pc each level looked up (ra - 1 for callers)
    uint64_t rule[kMemoFrames] = {};
    alignas(16) uint64_t single_value[kMemoSingles + 4] = {};
    uint64_t single_address[kMemoSingles + 4] = {};
    alignas(16) uint64_t pair_value[2 * kMemoFrames + 2] = {};  // [2i] at pair_address[i], [2i + 1] 8 bytes above
    uint64_t pair_address[kMemoFrames + 1] = {};
};

thread_local WalkMemo tMemo __attribute__((tls_model("initial-exec")));

inline uint64_t loadWord(uint64_t address) noexcept { return *reinterpret_cast<const uint64_t*>(address); }

// Two remembered singles, i and i + 1, as the stack holds them now, xor'ed with what they held.
inline __m128i singlesDiffer(const WalkMemo& memo, int i) noexcept {
    __m128i now = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(memo.single_address[i]));
    now = _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(now), reinterpret_cast<const double*>(memo.single_address[i + 1])));
    return _mm_xor_si128(now, _mm_load_si128(reinterpret_cast<const __m128i*>(&memo.single_value[i])));
}

// Remembered pair p (a saved rbp and the return address above it), xor'ed with what it held.
inline __m128i pairDiffers(const WalkMemo& memo, int p) noexcept {
    __m128i now = _mm_loadu_si128(reinterpret_cast<const __m128i*>(memo.pair_address[p]));
    return _mm_xor_si128(now, _mm_load_si128(reinterpret_cast<const __m128i*>(&memo.pair_value[2 * p])));
}

inline bool allZero(__m128i bits) noexcept {
    return _mm_movemask_epi8(_mm_cmpeq_epi8(bits, _mm_setzero_si128())) == 0xFFFF;
}

// True when the stack still holds every word the memo's walk read (see WalkMemo). Singles come in
// fours and pairs in twos (sealMemo pads them), so each loop step is four words with no remainder.
inline bool memoStillHolds(const WalkMemo& memo, uint64_t limits, uint64_t sp, uint64_t bp) noexcept {
    if (memo.count <= 0 || memo.limits != limits || memo.start_sp != sp) return false;
    if (memo.start_rbp_used && memo.start_rbp != bp) return false;
    const int singles = memo.singles, pairs = memo.pairs;
    // The innermost four singles first, on their own: when the stack changed, it is most often there.
    __m128i differ = _mm_setzero_si128();
    int i = 0;
    if (singles > 0) {
        differ = _mm_or_si128(singlesDiffer(memo, 0), singlesDiffer(memo, 2));
        if (!allZero(differ)) return false;
        i = 4;
    }
    for (; i < singles; i += 4)
        differ = _mm_or_si128(differ, _mm_or_si128(singlesDiffer(memo, i), singlesDiffer(memo, i + 2)));
    for (int p = 0; p < pairs; p += 2)
        differ = _mm_or_si128(differ, _mm_or_si128(pairDiffers(memo, p), pairDiffers(memo, p + 1)));
    return allZero(differ);
}

// A word the walk read (a return address, or a saved rbp no later frame depends on yet).
inline void rememberSingle(WalkMemo& memo, uint64_t address, uint64_t value) noexcept {
    if (memo.singles >= kMemoSingles) {
        memo.overflow = true;
        return;
    }
    memo.single_address[memo.singles] = address;
    memo.single_value[memo.singles] = value;
    ++memo.singles;
}

// A saved rbp that a CFA was computed from. Right below the return address it was saved with (the
// frame-pointer prologue's push %rbp), the two become one pair.
inline void rememberSavedRbp(WalkMemo& memo, uint64_t address, uint64_t value) noexcept {
    int last = memo.singles - 1;
    if (last >= 0 && memo.single_address[last] == address + 8 && memo.pairs < kMemoFrames) {
        memo.pair_address[memo.pairs] = address;
        memo.pair_value[2 * memo.pairs] = value;
        memo.pair_value[2 * memo.pairs + 1] = memo.single_value[last];
        ++memo.pairs;
        memo.singles = last;
        return;
    }
    rememberSingle(memo, address, value);
}

// The walk is complete: singles padded to a multiple of four and pairs to a multiple of two with
// words that never change; the memo is valid when it holds every word.
inline void sealMemo(WalkMemo& memo, int count) noexcept {
    while (memo.singles & 3) {
        memo.single_address[memo.singles] = reinterpret_cast<uint64_t>(&kNeverChanges[0]);
        memo.single_value[memo.singles] = 0;
        ++memo.singles;
    }
    if (memo.pairs & 1) {
        memo.pair_address[memo.pairs] = reinterpret_cast<uint64_t>(&kNeverChanges[0]);
        memo.pair_value[2 * memo.pairs] = memo.pair_value[2 * memo.pairs + 1] = 0;
        ++memo.pairs;
    }
    if (count <= kMemoFrames && !memo.overflow) memo.count = count;
}

}  // namespace

__attribute__((noinline)) int walk(uint64_t* frames, unwinder::WalkLimits limits, bool* unchanged) noexcept {
    *unchanged = false;
    if (!gCache || limits.capacity <= 0) return -1;
    WalkMemo& memo = tMemo;
    uint64_t generation = gGeneration.load(std::memory_order_acquire);
    if (memo.generation != generation) {  // a dlclose since this thread's last walk: its rules may be stale
        // In place: a WalkMemo{} temporary would put its 4 KiB on the hook's stack.
        std::memset(static_cast<void*>(&memo), 0, sizeof(memo));
        memo.count = -1;
        memo.generation = generation;
    }
    uint64_t pc, sp, bp;
    // One asm statement, so the pc, rsp and rbp belong to the same instruction: the CFI for that pc
    // describes exactly this rsp.
    asm volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(pc), "=r"(sp), "=r"(bp));
    if (memoStillHolds(memo, limits.key(), sp, bp)) {
        *unchanged = true;  // frames[] is left alone: the caller reuses what it derived from them last time
        return memo.count;
    }
    int previous_count = memo.count;
    memo.count = -1;  // rebuilt below; invalid if this walk ends early
    memo.limits = limits.key();
    memo.start_sp = sp;
    memo.start_rbp = bp;
    memo.start_rbp_used = false;
    memo.singles = 0;
    memo.pairs = 0;
    memo.overflow = false;
    bool rbp_restored = false;
    uint64_t rbp_slot = 0;  // where the current bp was loaded from, until a CFA uses it
    uint64_t lookup_pc = pc;  // the first pc is exact; callers' are return addresses, looked up at ra - 1
    bool same = true;         // every pc so far equals the previous walk's at the same level
    int count = 0;
    uint64_t own_start = 0, own_end = 0;
    ownCodeRange(&own_start, &own_end);
    unwinder::WalkBudget budget(limits, own_start, own_end);  // stops the walk with the frames wanted
    for (;;) {
        frames[count] = pc;
        budget.note(count, pc);
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
        if (budget.full(count)) break;
        uint64_t kind = kindOf(rule);
        if (kind == kOutermost) break;
        if (kind == kUnsupported) return -1;
        if (kind == kCfaFromRbp) {
            // bp decides this CFA: the word it came from is part of what the walk depends on.
            if (!rbp_restored) memo.start_rbp_used = true;
            else if (rbp_slot != 0) rememberSavedRbp(memo, rbp_slot, bp);
            rbp_slot = 0;
        }
        uint64_t cfa = (kind == kCfaFromRsp ? sp : bp) + static_cast<uint64_t>(cfaOffsetOf(rule));
        // The stack grows down: a CFA that does not move up is a broken chain, not a frame.
        if (cfa <= sp || (cfa & 7) != 0) return -1;
        uint64_t return_address = loadWord(cfa - 8);
        rememberSingle(memo, cfa - 8, return_address);
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
    sealMemo(memo, count);
    return count;
}

void forgetThreadState() noexcept {
    releaseRuleCacheLockOwnedHere();
    tMemo.count = -1;
}

}  // namespace leakscope::preload::cfi_walker
