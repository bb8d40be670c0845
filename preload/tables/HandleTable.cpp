#include "tables/HandleTable.h"

#include <sched.h>
#include <sys/mman.h>

#include <cstring>
#include <new>

namespace leakscope::preload::handles {

namespace {
constinit HandleTable gTable;
}  // namespace

HandleTable& handleTable() noexcept { return gTable; }

void HandleEntry::setPath(const char* text) noexcept {
    setPath(text, text ? std::strlen(text) : 0);
}

void HandleEntry::setPath(const char* text, size_t length) noexcept {
    if (!text) length = 0;
    if (length > kHandlePathCapacity) length = kHandlePathCapacity;
    if (length) std::memcpy(path, text, length);
    path_length = static_cast<uint16_t>(length);
}

HandleTable::Slot* HandleTable::slotFor(int fd, bool create) noexcept {
    if (fd < 0 || fd > kMaxTrackedFd) return nullptr;
    std::atomic<Slot*>& chunk = chunks_[fd / kSlotsPerChunk];
    Slot* slots = chunk.load(std::memory_order_acquire);
    if (!slots && create) {
        // mmap, not malloc: this runs inside hooks, and the allocator may be the one being hooked.
        void* memory = mmap(nullptr, sizeof(Slot) * kSlotsPerChunk, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return nullptr;
        Slot* fresh = static_cast<Slot*>(memory);
        for (int i = 0; i < kSlotsPerChunk; ++i) new (&fresh[i]) Slot();
        // Two threads may race to create the same chunk: the loser unmaps its copy and uses the winner's.
        if (chunk.compare_exchange_strong(slots, fresh, std::memory_order_acq_rel)) {
            slots = fresh;
        } else {
            munmap(memory, sizeof(Slot) * kSlotsPerChunk);
        }
    }
    return slots ? &slots[fd % kSlotsPerChunk] : nullptr;
}

void HandleTable::lockSlot(Slot& slot) noexcept {
    // Holders only copy a record in or out (no syscalls, no allocation), so the wait is short. A hook
    // on the same thread cannot re-enter here: hooks touch the table only while their ReentryGuard owns.
    slot.lock.lock();
}

bool HandleTable::tryLockSlotPatiently(Slot& slot) noexcept { return slot.lock.tryLockPatiently(10000); }

void HandleTable::unlockSlot(Slot& slot) noexcept { slot.lock.unlock(); }

void HandleTable::forgetLive(const Slot& slot) noexcept {
    live_.fetch_sub(1, std::memory_order_relaxed);
    // An untracked record going away is not a close to count: it may be the fd a hook was about to
    // record when the reconciliation found it (its record replaces the untracked one), and handles_opened
    // never counted it either.
    if (slot.entry.flags & snapshot::kHandleUntracked) {
        untracked_.fetch_sub(1, std::memory_order_relaxed);
    } else {
        closed_.fetch_add(1, std::memory_order_relaxed);
    }
}

void HandleTable::recordOpened(const HandleEntry& entry) noexcept {
    Slot* slot = slotFor(entry.fd, true);
    if (!slot) return;
    lockSlot(*slot);
    if (slot->state.load(std::memory_order_relaxed) == SlotState::Live) forgetLive(*slot);
    slot->entry = entry;
    slot->state.store(SlotState::Live, std::memory_order_relaxed);
    unlockSlot(*slot);
    live_.fetch_add(1, std::memory_order_relaxed);
    if (entry.flags & snapshot::kHandleUntracked) {
        untracked_.fetch_add(1, std::memory_order_relaxed);
    } else if (!(entry.flags & snapshot::kHandleInherited)) {
        opened_.fetch_add(1, std::memory_order_relaxed);
    }
}

TakenHandle HandleTable::take(int fd, bool known_open) noexcept {
    TakenHandle taken;
    // A known-open fd gets its chunk: the Closed mark is what lets a second close be told apart as a
    // double close. Otherwise a missing chunk means no hook ever saw an fd of it.
    Slot* slot = slotFor(fd, known_open);
    if (!slot) return taken;
    lockSlot(*slot);
    taken.previous = slot->state.load(std::memory_order_relaxed);
    if (taken.previous == SlotState::Live) {
        taken.was_untracked = slot->entry.flags & snapshot::kHandleUntracked;
        forgetLive(*slot);
    }
    if (known_open || taken.previous == SlotState::Live) slot->state.store(SlotState::Closed, std::memory_order_relaxed);
    unlockSlot(*slot);
    return taken;
}

TakenHandle HandleTable::takeForClose(int fd) noexcept { return take(fd, true); }

TakenHandle HandleTable::takeLiveForClose(int fd) noexcept { return take(fd, false); }

void HandleTable::finishClose(int fd, const TakenHandle& taken, bool released) noexcept {
    const bool was_live = taken.previous == SlotState::Live;
    if (was_live == released) return;  // a live record closed: already Closed; nothing held, nothing closed: as it was
    // Released without a live record: an fd no hook had seen open (its chunk may not exist yet). Not
    // released after a live record: the kernel had closed it behind the hooks' back.
    Slot* slot = slotFor(fd, released);
    if (!slot) return;
    lockSlot(*slot);
    const SlotState now = slot->state.load(std::memory_order_relaxed);
    if (released && now != SlotState::Live) {
        slot->state.store(SlotState::Closed, std::memory_order_relaxed);  // unless another thread recorded it meanwhile
    } else if (!released && now == SlotState::Closed) {
        slot->state.store(SlotState::Vanished, std::memory_order_relaxed);
    }
    unlockSlot(*slot);
}

bool HandleTable::copyLive(int fd, HandleEntry& out) noexcept {
    Slot* slot = slotFor(fd, false);
    if (!slot) return false;
    lockSlot(*slot);
    const bool live = slot->state.load(std::memory_order_relaxed) == SlotState::Live;
    if (live) out = slot->entry;
    unlockSlot(*slot);
    return live;
}

void HandleTable::updateLive(int fd, uint16_t set_flags, uint16_t clear_flags,
                             snapshot::HandleKind new_kind) noexcept {
    Slot* slot = slotFor(fd, false);
    if (!slot) return;
    lockSlot(*slot);
    if (slot->state.load(std::memory_order_relaxed) == SlotState::Live) {
        slot->entry.flags = static_cast<uint16_t>((slot->entry.flags & ~clear_flags) | set_flags);
        if (new_kind != snapshot::HandleKind::Unknown) slot->entry.kind = new_kind;
    }
    unlockSlot(*slot);
}

bool HandleTable::insertIfNotLive(const HandleEntry& entry) noexcept {
    Slot* slot = slotFor(entry.fd, true);
    if (!slot) return false;
    lockSlot(*slot);
    const bool insert = slot->state.load(std::memory_order_relaxed) != SlotState::Live;
    if (insert) {
        slot->entry = entry;
        slot->state.store(SlotState::Live, std::memory_order_relaxed);
    }
    unlockSlot(*slot);
    if (insert) {
        live_.fetch_add(1, std::memory_order_relaxed);
        if (entry.flags & snapshot::kHandleUntracked) untracked_.fetch_add(1, std::memory_order_relaxed);
    }
    return insert;
}

void HandleTable::dropVanished(int first, int end, uint64_t before_sequence) noexcept {
    if (first < 0) first = 0;
    if (end > kMaxTrackedFd + 1) end = kMaxTrackedFd + 1;
    for (int fd = first; fd < end;) {
        Slot* slots = chunks_[fd / kSlotsPerChunk].load(std::memory_order_acquire);
        if (!slots) {
            fd = (fd / kSlotsPerChunk + 1) * kSlotsPerChunk;  // a chunk never created holds nothing
            continue;
        }
        Slot& slot = slots[fd % kSlotsPerChunk];
        ++fd;
        if (slot.state.load(std::memory_order_relaxed) != SlotState::Live) continue;
        lockSlot(slot);
        if (slot.state.load(std::memory_order_relaxed) == SlotState::Live && slot.entry.sequence < before_sequence) {
            forgetLive(slot);
            // Vanished, not Closed: the program did not close it through a hook, so its next close is no
            // double close; nor NeverSeen: the program held it, so that close is a bad close.
            slot.state.store(SlotState::Vanished, std::memory_order_relaxed);
        }
        unlockSlot(slot);
    }
}

bool HandleTable::looksLive(int fd) noexcept {
    Slot* slot = slotFor(fd, false);
    return slot && slot->state.load(std::memory_order_relaxed) == SlotState::Live;
}

void HandleTable::adoptAfterFork() noexcept {
    for (auto& chunk : chunks_) {
        Slot* slots = chunk.load(std::memory_order_relaxed);
        if (!slots) continue;
        for (int i = 0; i < kSlotsPerChunk; ++i) {
            Slot& slot = slots[i];
            slot.lock.resetInChild();
            if (slot.state.load(std::memory_order_relaxed) != SlotState::Live) continue;
            // The format gives inherited handles no stack: this process did not open them.
            slot.entry.flags |= snapshot::kHandleInherited;
            slot.entry.stack_id = 0;
        }
    }
}

void HandleTable::releaseSlotsOwnedHere() noexcept {
    for (auto& chunk : chunks_) {
        Slot* slots = chunk.load(std::memory_order_acquire);
        if (!slots) continue;
        for (int i = 0; i < kSlotsPerChunk; ++i) slots[i].lock.releaseIfOwnedHere();
    }
}

int HandleTable::chunksCreated() const noexcept {
    int created = 0;
    for (const auto& chunk : chunks_) created += chunk.load(std::memory_order_relaxed) != nullptr;
    return created;
}

HandleCounts HandleTable::counts() const noexcept {
    HandleCounts counts;
    counts.opened = opened_.load(std::memory_order_relaxed);
    counts.closed = closed_.load(std::memory_order_relaxed);
    counts.live = live_.load(std::memory_order_relaxed);
    counts.bad_closes = bad_closes_.load(std::memory_order_relaxed);
    counts.untracked = untracked_.load(std::memory_order_relaxed);
    return counts;
}

}  // namespace leakscope::preload::handles
