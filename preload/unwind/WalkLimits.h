// How far a stack walk goes (both walkers: the CFA-rule cache walk and libgcc's fallback).
//
// The walk starts inside the preload (walk, capture, tracker, hook): those frames are dropped from the
// recorded stack, so the caller asks for a number of frames *below* them. Counting the preload's frames
// as the walk meets them, instead of walking a fixed allowance for them, keeps a deep stack from being
// walked further than the capture keeps (every frame walked costs a rule lookup and a stack load).
// Only the leading frames inside the preload's own mapped range count as its own: an address there is
// certainly the preload's; allocator wrappers further out (libstdc++'s operator new, libc's fopen)
// are the analyzer's to trim (analyzer/core/FrameTrimmer.h) and count as frames of the stack here.
#pragma once

#include <bit>
#include <cstdint>

namespace leakscope::preload::unwinder {

// Passed by value (one register): the walk compares it with its memo's on every call.
struct WalkLimits {
    int capacity;    // frames the buffer holds: the walk never writes more
    int beyond_own;  // frames wanted after the leading own frames (the walk stops there)

    // Both fields as one word, as the register that passes them holds them.
    uint64_t key() const noexcept { return std::bit_cast<uint64_t>(*this); }
};

// The leading own frames of a walk, counted frame by frame, and the frame count at which it stops.
class WalkBudget {
public:
    // [own_start, own_end): the preload's own mapped range (setOwnCodeRange); empty before it is known.
    WalkBudget(WalkLimits limits, uint64_t own_start, uint64_t own_end) noexcept
        : own_start_(own_start),
          own_size_(own_end - own_start),
          capacity_(limits.capacity),
          beyond_own_(limits.beyond_own > 0 ? limits.beyond_own : 1),  // a walk writes at least one frame
          stop_at_(beyond_own_ < capacity_ ? beyond_own_ : capacity_) {}

    // Frame `index` (0: innermost) holds `pc`. Cheap after the own frames: one compare. Call it for
    // every frame written, then full(); with capacity >= 1 the walk never writes more than capacity.
    void note(int index, uint64_t pc) noexcept {
        if (own_ != index || pc - own_start_ >= own_size_) return;
        ++own_;
        stop_at_ = beyond_own_ < capacity_ - own_ ? own_ + beyond_own_ : capacity_;
    }
    // The walk has written as many frames as it may: it stops after `count` frames.
    bool full(int count) const noexcept { return count == stop_at_; }
    int ownFrames() const noexcept { return own_; }

private:
    uint64_t own_start_;
    uint64_t own_size_;  // unsigned: pc - start < size is the range check, false for an empty range
    int capacity_;
    int beyond_own_;
    int own_ = 0;
    int stop_at_;
};

}  // namespace leakscope::preload::unwinder
