// captureStack(): walk (Unwinder.h) -> drop the preload's own frames -> cut to LEAKSCOPE_DEPTH ->
// intern in the stack table.
#include <atomic>
#include <cstring>

#include "lifecycle/Config.h"
#include "tables/StackTable.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"
#include "unwind/Unwinder.h"

namespace leakscope::preload {
namespace {

// Frames of the preload itself at the top of a walk (capture, tracker, hook, C++ operator new when
// libstdc++ is linked in statically): a handful; 16 is generous.
constexpr int kOwnFramesAllowance = static_cast<int>(kCaptureBufferFrames - snapshot::kMaxStackDepth) - 1;

std::atomic<uint64_t> gOwnStart{0};
std::atomic<uint64_t> gOwnEnd{0};

inline bool isOwnFrame(uint64_t pc, uint64_t start, uint64_t end) noexcept { return pc >= start && pc < end; }

// What this thread's previous capture produced, reused when the walk reports the very same frames (a
// loop allocating from one site): no shifting, no hashing, no stack-table lookup.
struct LastCapture {
    uint32_t stack_id = 0;  // 0: nothing to reuse
    uint16_t depth = 0;
};
thread_local LastCapture tLast __attribute__((tls_model("initial-exec")));

// `want_frames`: the caller reads frames[0..*depth) (fault injection); otherwise only the id matters.
inline uint32_t captureInto(uint64_t* frames, uint16_t* depth, bool want_frames) noexcept {
    *depth = 0;
    const int limit = static_cast<int>(stackDepthLimit());
    // Walk straight into the caller's buffer (pointers and uint64_t have the same size here), then
    // shift out the preload's own frames: one buffer keeps the hook's stack use small.
    static_assert(sizeof(void*) == sizeof(uint64_t));
    void** walked = reinterpret_cast<void**>(frames);
    // The walk counts the preload's own frames as it meets them and stops one frame past the `limit`
    // kept after them (that frame tells a cut stack from a complete one), instead of walking a fixed
    // allowance for own frames it may not have: on a deep stack that was up to 16 frames walked for
    // nothing. The buffer still bounds it: a walk with more own frames than the allowance is cut there.
    const int capacity = limit + kOwnFramesAllowance + 1;
    const unwinder::WalkLimits limits{capacity, limit + 1};
    bool unchanged = false;
    int count = unwinder::capture(walked, limits, &unchanged);  // 0 until the unwinder is ready
    LastCapture& last = tLast;
    if (unchanged && last.stack_id != 0) {
        const uint64_t* stored = nullptr;
        uint16_t stored_depth = 0, stored_flags = 0;
        if (want_frames) {  // frames[] was not rewritten: the stack table holds what it would say
            if (!stack_table::get(last.stack_id, &stored, &stored_depth, &stored_flags)) return 0;
            std::memcpy(frames, stored, stored_depth * sizeof(uint64_t));
        }
        *depth = last.depth;
        return last.stack_id;
    }
    uint64_t own_start = 0, own_end = 0;
    ownCodeRange(&own_start, &own_end);
    int first = 0;
    while (first < count && isOwnFrame(reinterpret_cast<uint64_t>(walked[first]), own_start, own_end)) ++first;
    int available = count - first;
    int kept = available < limit ? available : limit;
    // More frames than kept, or a walk that filled the whole buffer: the outermost frames are missing.
    uint16_t flags = (available > limit || count == capacity) ? snapshot::kStackTruncated : 0;
    for (int i = 0; i < kept; ++i) frames[i] = frames[first + i];
    *depth = static_cast<uint16_t>(kept);
    uint32_t id = kept == 0 ? 0 : stack_table::intern(frames, static_cast<uint16_t>(kept), flags);
    last = LastCapture{id, static_cast<uint16_t>(kept)};
    return id;
}

}  // namespace

void setOwnCodeRange(uint64_t start, uint64_t end) noexcept {
    gOwnStart.store(start, std::memory_order_relaxed);
    gOwnEnd.store(end, std::memory_order_release);
}

void ownCodeRange(uint64_t* start, uint64_t* end) noexcept {
    *end = gOwnEnd.load(std::memory_order_acquire);
    *start = gOwnStart.load(std::memory_order_relaxed);
}

bool isOwnCode(const void* address) noexcept {
    uint64_t own_end = gOwnEnd.load(std::memory_order_acquire);
    return isOwnFrame(reinterpret_cast<uint64_t>(address), gOwnStart.load(std::memory_order_relaxed), own_end);
}

uint32_t stackDepthLimit() noexcept { return config().depth; }

void forgetLastCapture() noexcept { tLast = LastCapture{}; }

__attribute__((noinline)) uint32_t captureStackWithFrames(uint64_t* frames, uint16_t* depth) noexcept {
    return captureInto(frames, depth, true);
}

__attribute__((noinline)) uint32_t captureStack() noexcept {
    uint64_t frames[kCaptureBufferFrames];
    uint16_t depth = 0;
    return captureInto(frames, &depth, false);
}

}  // namespace leakscope::preload
