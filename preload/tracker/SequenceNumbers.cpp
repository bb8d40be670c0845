// Sequence numbers (TrackerCore.h, TrackerInternals.h): one process-wide counter for handles and
// events, per-thread blocks taken from it for allocations, and the floor each snapshot sets so that
// no allocation numbered after a snapshot looks older than it. Part of the core (tests/unit).
#include <atomic>
#include <cstdint>

#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"

namespace leakscope::preload {
namespace {

// Sequence 0 is reserved for "tracker-internal" live entries, so numbering starts at 1. Its own cache
// line: threads take blocks from it (below), and the floor next to it must stay a read-only line.
alignas(64) std::atomic<uint64_t> gSequence{1};
// The `sequence` of the latest snapshot header. A thread's reserved numbers below it are retired: an
// allocation recorded after that snapshot must not look older than it (docs/snapshot-format.md).
// Written only at snapshots, so every core keeps it in a shared cache line.
alignas(64) std::atomic<uint64_t> gSequenceFloor{0};

// Allocation numbers are handed out from a per-thread block, so the hot path does no atomic
// read-modify-write on a process-wide line: one fetch_add per kSequenceBlock allocations of a thread.
// At most kSequenceBlock numbers per thread are skipped at each snapshot and at each thread's exit
// (49 bits of sequence in the live table are 5.6e14 numbers).
constexpr uint64_t kSequenceBlock = 1024;
struct SequenceBlock {
    uint64_t next = 0;
    uint64_t end = 0;  // next == end: empty
};
thread_local SequenceBlock tSequenceBlock __attribute__((tls_model("initial-exec")));

}  // namespace

uint64_t nextSequence() noexcept { return gSequence.fetch_add(1, std::memory_order_relaxed); }

uint64_t nextAllocationSequence() noexcept {
    // Called with the guard owned, so no hook of a signal handler on this thread runs it meanwhile (its
    // guard is not the outermost); a siglongjmp out of here empties the block (recoverAbandonedTracker).
    SequenceBlock& block = tSequenceBlock;
    if (__builtin_expect(block.next == block.end || block.next < gSequenceFloor.load(std::memory_order_acquire), 0)) {
        // Taken after the floor was read, so at least the floor: blocks only move forward.
        const uint64_t first = gSequence.fetch_add(kSequenceBlock, std::memory_order_relaxed);
        block.next = first;
        block.end = first + kSequenceBlock;
    }
    return block.next++;
}

uint64_t peekSequence() noexcept { return gSequence.load(std::memory_order_relaxed); }

uint64_t sequenceAtSnapshot() noexcept {
    // Read first, published second: a block reserved between the two is at least `boundary` already;
    // one reserved before it lies wholly below and is retired by the floor from the store on.
    const uint64_t boundary = gSequence.load(std::memory_order_acquire);
    uint64_t floor = gSequenceFloor.load(std::memory_order_relaxed);
    while (floor < boundary &&
           !gSequenceFloor.compare_exchange_weak(floor, boundary, std::memory_order_release, std::memory_order_relaxed)) {
    }
    return boundary;
}

void forgetSequenceBlock() noexcept { tSequenceBlock = SequenceBlock{}; }

}  // namespace leakscope::preload
