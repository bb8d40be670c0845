// The live handle table: one slot per fd number, holding what opened that fd (kind, details, sequence,
// thread, stack). It lives inside the target process, so it allocates nothing through the hooked
// allocator (chunks come straight from mmap), takes no global lock (each slot has its own tiny spin
// lock, held only while a record is copied in or out), and survives fork (the child resets the locks).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "leakscope/snapshot_format.h"
#include "tables/SpinLock.h"

namespace leakscope::preload::handles {

// Bounded copy of a path, memfd name or /proc link target. Longer strings are cut (the start is kept:
// it names the directory, which is what tells two leaks apart).
inline constexpr size_t kHandlePathCapacity = 190;

// What a hook knows about a handle. Mirrors snapshot::HandleRecord but owns its path bytes.
struct HandleEntry {
    int32_t fd = -1;
    snapshot::HandleKind kind = snapshot::HandleKind::Unknown;
    uint16_t flags = 0;  // snapshot::HandleFlags
    uint64_t sequence = 0;
    uint32_t stack_id = 0;
    uint32_t thread_id = 0;
    int32_t detail_a = 0;
    int32_t detail_b = 0;
    int32_t detail_c = 0;
    uint16_t path_length = 0;
    char path[kHandlePathCapacity] = {};

    void setPath(const char* text) noexcept;
    void setPath(const char* text, size_t length) noexcept;
};

// The state of an fd number as this process's hooks saw it. A close that fails with EBADF is judged
// by it (docs/handles.md, "Bad closes"): after Closed a double close, after Vanished (or a Live record
// the kernel no longer had) a bad close, and after NeverSeen a close of an fd never held, which closes
// nothing and is only informational (a daemon's sweep over every fd number).
enum class SlotState : uint8_t {
    NeverSeen = 0,  // no hook saw this fd open or closed (also every fd of a chunk not created yet)
    Live = 1,       // open, and `entry` says by whom
    Closed = 2,     // this process closed it and nobody reopened it since (a second close is a double close)
    Vanished = 3,   // was live, then went away without a close the hooks saw (a raw syscall, glibc inside)
};

// What close() found in the slot before the real close ran.
struct TakenHandle {
    SlotState previous = SlotState::NeverSeen;
    bool was_untracked = false;
};

// Cumulative counts, copied into the snapshot's Counters record.
struct HandleCounts {
    uint64_t opened = 0;     // handles a hook saw created
    uint64_t closed = 0;     // hooked or inherited records that went away (close, dup2 over them, vanished)
    uint64_t live = 0;       // records live now (inherited and untracked included)
    uint64_t bad_closes = 0; // bad closes and double closes
    uint64_t untracked = 0;  // live records found only by the /proc/self/fd reconciliation
};

class HandleTable {
public:
    // Fds above this are not tracked in the table; the /proc reconciliation does not list them either.
    static constexpr int kMaxTrackedFd = (1 << 20) - 1;

    // Records `entry` at entry.fd, replacing whatever was there (an fd number reused is a new record).
    // A live record it replaces counts as closed (dup2 onto an open fd, a close we never saw).
    void recordOpened(const HandleEntry& entry) noexcept;

    // Marks fd closed before the real close runs (so that another thread that gets the number back
    // right after the real close cannot have its new record erased by ours) and says what was there.
    // For fds known to be open (close_range's listing): creates the slot when needed.
    TakenHandle takeForClose(int fd) noexcept;

    // close() of an fd that may not be open: a live record is taken out and the slot marked Closed, as
    // takeForClose does; any other state is only read, and no chunk is created (a sweep over a million fd
    // numbers that were never open must not map a slot for each). finishClose() settles the rest.
    TakenHandle takeLiveForClose(int fd) noexcept;

    // After the real close of an fd taken with takeLiveForClose. `released`: the kernel closed it (any
    // result but EBADF). A slot that was not live becomes Closed if it was open (an fd the hooks had not
    // seen: a later close is a double close), unless another thread recorded the number meanwhile; a live
    // record the kernel no longer had (EBADF) becomes Vanished, so that repeating the close stays a bad
    // close and never reads as a close of an fd never held.
    void finishClose(int fd, const TakenHandle& taken, bool released) noexcept;

    // Copies the live record at fd into `out`; false when the fd is not live in the table.
    bool copyLive(int fd, HandleEntry& out) noexcept;

    // Adjusts a live record: flags set and cleared, kind changed (fdopendir) — no-op if not live.
    void updateLive(int fd, uint16_t set_flags, uint16_t clear_flags,
                    snapshot::HandleKind new_kind = snapshot::HandleKind::Unknown) noexcept;

    // Inserts `entry` only if its slot is not live (the reconciliation must not overwrite a hook's record).
    bool insertIfNotLive(const HandleEntry& entry) noexcept;

    // Drops the live records with first <= fd < end that opened before `before_sequence`: fds the
    // /proc/self/fd listing no longer shows (closed behind the hooks' back, by a raw syscall or glibc's
    // internal close). They count as closed and their slots become Vanished.
    void dropVanished(int first, int end, uint64_t before_sequence) noexcept;

    // Racy peek (no lock): true when the slot looks live. For skipping work, never for decisions.
    bool looksLive(int fd) noexcept;

    // Calls visit(entry) for every live record in fd order. `visit` must not call back into the table.
    template <typename Visitor>
    void forEachLive(Visitor&& visit) noexcept;

    // After fork, in the child (one thread): every slot lock is released (a parent thread may have held
    // one at the fork) and every live record becomes inherited.
    void adoptAfterFork() noexcept;

    // longjmp recovery (tracker/ThreadState.h): every slot lock this thread owns is released.
    void releaseSlotsOwnedHere() noexcept;

    HandleCounts counts() const noexcept;
    // Chunks of slots mapped so far (tests: a sweep over fds never open maps none).
    int chunksCreated() const noexcept;
    void countBadClose() noexcept { bad_closes_.fetch_add(1, std::memory_order_relaxed); }

private:
    struct Slot {
        SpinLock lock;  // zero bytes (fresh mmap) are an unlocked lock
        // Written only under `lock`; atomic so that readers may skip empty slots without taking it.
        std::atomic<SlotState> state{SlotState::NeverSeen};
        HandleEntry entry;
    };
    static constexpr int kSlotsPerChunk = 256;
    static constexpr int kChunkCount = (kMaxTrackedFd + 1) / kSlotsPerChunk;

    // The slot for fd, creating its chunk when `create` is set; nullptr for fds out of range, for
    // chunks not created yet, or when mmap fails.
    Slot* slotFor(int fd, bool create) noexcept;
    // takeForClose (known_open) and takeLiveForClose.
    TakenHandle take(int fd, bool known_open) noexcept;
    static void lockSlot(Slot& slot) noexcept;
    // Bounded attempt used by readers (snapshots): a slot held for too long is skipped, never waited on.
    static bool tryLockSlotPatiently(Slot& slot) noexcept;
    static void unlockSlot(Slot& slot) noexcept;
    void forgetLive(const Slot& slot) noexcept;

    std::atomic<Slot*> chunks_[kChunkCount] = {};
    std::atomic<uint64_t> opened_{0};
    std::atomic<uint64_t> closed_{0};
    std::atomic<uint64_t> live_{0};
    std::atomic<uint64_t> bad_closes_{0};
    std::atomic<uint64_t> untracked_{0};
};

// The one table of this process (constant-initialised: usable before any constructor has run).
HandleTable& handleTable() noexcept;

template <typename Visitor>
void HandleTable::forEachLive(Visitor&& visit) noexcept {
    for (int chunk = 0; chunk < kChunkCount; ++chunk) {
        Slot* slots = chunks_[chunk].load(std::memory_order_acquire);
        if (!slots) continue;
        for (int i = 0; i < kSlotsPerChunk; ++i) {
            Slot& slot = slots[i];
            if (slot.state.load(std::memory_order_relaxed) != SlotState::Live) continue;  // confirmed below
            if (!tryLockSlotPatiently(slot)) continue;
            HandleEntry copy;
            const bool live = slot.state.load(std::memory_order_relaxed) == SlotState::Live;
            if (live) copy = slot.entry;
            unlockSlot(slot);
            if (live) visit(static_cast<const HandleEntry&>(copy));
        }
    }
}

}  // namespace leakscope::preload::handles
