// Unwinder.h's implementation: the CFA-rule cache walk (CfiWalker.h) for every stack it can follow,
// and libgcc's _Unwind_Backtrace for the rest. libgcc's unwinder is linked into the preload statically
// (-static-libgcc) and hidden (--exclude-libs,ALL), so nothing is loaded at run time, nothing reaches
// the target's global scope, and no fd is ever held: libunwind 1.6 keeps a pipe open for the life of
// the process to validate addresses (write(pipe, addr, 1)), an fd the program could meet (issue 16).
#include <atomic>
#include <cstdint>
#include <unwind.h>

#include "lifecycle/Config.h"
#include "lifecycle/Log.h"
#include "tracker/TrackerInternals.h"
#include "unwind/CfiWalker.h"
#include "unwind/Unwinder.h"

namespace leakscope::preload::unwinder {
namespace {

std::atomic<bool> gReady{false};
bool gVerify = false;  // LEAKSCOPE_VERIFY_UNWIND: every CFI walk is repeated by libgcc and compared
std::atomic<uint64_t> gVerifiedWalks{0};
std::atomic<uint64_t> gMismatches{0};

struct Collector {
    void** frames;
    WalkBudget budget;
    int count;
};

_Unwind_Reason_Code collectFrame(_Unwind_Context* context, void* argument) {
    auto* collector = static_cast<Collector*>(argument);
    _Unwind_Ptr pc = _Unwind_GetIP(context);
    if (pc == 0) return _URC_END_OF_STACK;
    collector->frames[collector->count] = reinterpret_cast<void*>(pc);
    collector->budget.note(collector->count, pc);
    ++collector->count;
    return collector->budget.full(collector->count) ? _URC_END_OF_STACK : _URC_NO_REASON;
}

// The full DWARF unwinder: signal frames, CFA expressions (PLT stubs), any register rule. It stops at
// code without call-frame information (JIT code), where the stack is then cut short.
__attribute__((noinline)) int fullBacktrace(void** frames, WalkLimits limits) noexcept {
    if (limits.capacity <= 0) return 0;
    uint64_t own_start = 0, own_end = 0;
    ownCodeRange(&own_start, &own_end);
    Collector collector{frames, WalkBudget(limits, own_start, own_end), 0};
    _Unwind_Backtrace(collectFrame, &collector);
    return collector.count;
}

int firstForeignFrame(const void* const* frames, int count) noexcept {
    int first = 0;
    while (first < count && isOwnCode(frames[first])) ++first;
    return first;
}

// Debug mode: the frames outside the preload must be the ones libgcc finds. A CFI walk cut by its
// limits must be a prefix of libgcc's; a complete one must equal it.
void verifyAgainstLibgcc(void* const* walked, int count, WalkLimits limits) noexcept {
    constexpr int kSlack = 16;  // libgcc's walk starts in different preload frames
    void* reference[kCaptureBufferFrames + kSlack];
    const int reference_capacity = limits.capacity + kSlack;
    if (reference_capacity > static_cast<int>(sizeof(reference) / sizeof(reference[0]))) return;
    int reference_count = fullBacktrace(reference, WalkLimits{reference_capacity, reference_capacity});
    int walked_first = firstForeignFrame(walked, count);
    int reference_first = firstForeignFrame(reference, reference_count);
    int walked_kept = count - walked_first;
    int reference_kept = reference_count - reference_first;
    bool walk_complete = count < limits.capacity && walked_kept < limits.beyond_own;
    bool same = walk_complete ? walked_kept == reference_kept : walked_kept <= reference_kept;
    for (int i = 0; same && i < walked_kept; ++i) same = walked[walked_first + i] == reference[reference_first + i];
    gVerifiedWalks.fetch_add(1, std::memory_order_relaxed);
    if (same) return;
    uint64_t mismatches = gMismatches.fetch_add(1, std::memory_order_relaxed) + 1;
    // First divergence only, and only the 1st, 2nd, 4th, 8th... mismatch: a log, not a flood.
    if ((mismatches & (mismatches - 1)) != 0) return;
    int level = 0;
    while (level < walked_kept && level < reference_kept &&
           walked[walked_first + level] == reference[reference_first + level])
        ++level;
    logMessage(LogLevel::Warn,
               "unwind verification: mismatch %llu: the CFI walk differs from libgcc's at frame %d "
               "(CFI %p of %d frames, libgcc %p of %d frames)",
               static_cast<unsigned long long>(mismatches), level,
               level < walked_kept ? walked[walked_first + level] : nullptr, walked_kept,
               level < reference_kept ? reference[reference_first + level] : nullptr, reference_kept);
}

}  // namespace

bool initialise() noexcept {
    gVerify = config().verify_unwind;
    // Without the rule cache every walk goes to libgcc: slower, never wrong.
    bool cache = cfi_walker::initialise();
    gReady.store(true, std::memory_order_release);
    return cache;
}

bool ready() noexcept { return gReady.load(std::memory_order_acquire); }

int capture(void** frames, WalkLimits limits, bool* unchanged) noexcept {
    *unchanged = false;
    if (!ready() || limits.capacity <= 0) return 0;
    static_assert(sizeof(void*) == sizeof(uint64_t));
    int count = cfi_walker::walk(reinterpret_cast<uint64_t*>(frames), limits, unchanged);
    if (count >= 0) {
        // An unchanged walk left frames[] unwritten; it was verified when it was first walked.
        if (gVerify && !*unchanged) verifyAgainstLibgcc(frames, count, limits);
        return count;
    }
    return fullBacktrace(frames, limits);
}

// Debug mode's summary, once per process (a plain destructor runs before the tracker's exit snapshot).
__attribute__((destructor)) static void reportVerification() noexcept {
    if (!gVerify) return;
    uint64_t mismatches = gMismatches.load(std::memory_order_relaxed);
    logMessage(mismatches ? LogLevel::Warn : LogLevel::Info,
               "unwind verification: %llu CFI walks checked against libgcc, %llu mismatches",
               static_cast<unsigned long long>(gVerifiedWalks.load(std::memory_order_relaxed)),
               static_cast<unsigned long long>(mismatches));
}

const char* name() noexcept {
    return gVerify ? "CFA-rule cache walk, falling back to libgcc _Unwind_Backtrace; verified against libgcc"
                   : "CFA-rule cache walk, falling back to libgcc _Unwind_Backtrace";
}

}  // namespace leakscope::preload::unwinder
