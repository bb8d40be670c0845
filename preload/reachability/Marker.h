// The leak checker's classification, as valgrind memcheck does it (valgrind manual, "Memory leak
// detection"; mc_leakcheck.c): scan the roots, follow pointers from reached blocks, then group what is
// left into lost trees.
//
//   1. Roots: a word equal to a block's start reaches it "definitely" (still reachable); a word inside
//      it only "possibly" (possibly lost).
//   2. Reached blocks are scanned in turn (explicit stack, no recursion). From a definitely reached
//      block a start pointer reaches definitely and an interior pointer possibly; from a possibly
//      reached block every pointer reaches possibly. A block first reached possibly and later
//      definitely is upgraded and scanned again (so it is on the stack at most twice).
//   3. Blocks still unreached, in address order: each one that is still unreached leads a lost tree
//      and is scanned; every unreached block it reaches through any pointer (start or interior) is
//      indirectly lost. A tree leader reached later from another leader becomes indirectly lost too
//      (its tree joins the other). Leaders left at the end are definitely lost.
//
// Memory is read word by word at 8-byte alignment, like memcheck (a pointer stored unaligned is not
// seen by either). The caller provides every buffer: nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"
#include "reachability/BlockIndex.h"

namespace leakscope::preload::reachability {

// Checked every few thousand words: returns true when the scan must stop (its budget is spent).
class Deadline {
public:
    explicit Deadline(uint64_t end_ns) noexcept : end_ns_(end_ns) {}
    bool expired() noexcept;
    bool expiredSometimes() noexcept { return (++calls_ & 4095) == 0 && expired(); }

private:
    uint64_t end_ns_;
    uint64_t calls_ = 0;
};

class Marker {
public:
    // starts/sizes: the blocks in address order (sizes as requested: the scanned bytes of a block);
    // states: count zeroed bytes; stack: room for 2 * count indices.
    Marker(const BlockIndex& index, const uint64_t* starts, const uint64_t* sizes, size_t count, uint8_t* states,
           uint32_t* stack, Deadline& deadline) noexcept
        : index_(index), starts_(starts), sizes_(sizes), count_(count), states_(states), stack_(stack),
          deadline_(deadline) {}

    // Phase 1 for one root range (any alignment; readable memory). False when the deadline passed.
    bool scanRoot(uint64_t begin, uint64_t end) noexcept;
    // Phases 2 and 3. False when the deadline passed.
    bool finish() noexcept;
    // The class of block i once finish() returned true.
    snapshot::Reachability classOf(size_t i) const noexcept;

private:
    enum State : uint8_t { kUnreached = 0, kIndirect = 1, kPossible = 2, kReachable = 3 };
    void reach(uint64_t word, bool definite) noexcept;
    bool drain() noexcept;
    bool absorbTree(size_t leader) noexcept;
    template <typename Visit>
    bool forEachWord(uint64_t begin, uint64_t end, Visit visit) noexcept;

    const BlockIndex& index_;
    const uint64_t* starts_;
    const uint64_t* sizes_;
    size_t count_;
    uint8_t* states_;
    uint32_t* stack_;
    size_t depth_ = 0;
    Deadline& deadline_;
};

}  // namespace leakscope::preload::reachability
