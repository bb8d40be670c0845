// The bounded event store (see EventStore.h).
#include "tables/EventStore.h"

#include <atomic>

#include "tables/SpinLock.h"

namespace leakscope::preload::event_store {
namespace {

// EventKind values 1..UnopenedFdClose (the last); slot 0 unused
constexpr size_t kKinds = static_cast<size_t>(snapshot::EventKind::UnopenedFdClose) + 1;

struct KindStore {
    snapshot::EventRecord records[kEventsPerKind];
    size_t stored = 0;
    std::atomic<uint64_t> seen{0};
};

SpinLock gLock;
KindStore gStores[kKinds];
std::atomic<uint64_t> gDropped{0};

size_t indexOf(snapshot::EventKind kind) noexcept {
    auto index = static_cast<size_t>(kind);
    return index < kKinds ? index : 0;
}

}  // namespace

void record(snapshot::EventKind kind, uint64_t value, uint64_t size, uint32_t stack_id, uint64_t sequence,
            uint32_t thread_id) noexcept {
    KindStore& store = gStores[indexOf(kind)];
    store.seen.fetch_add(1, std::memory_order_relaxed);
    SpinLockHolder hold(gLock);
    if (kind == snapshot::EventKind::UnopenedFdClose) {
        // One record per stack (EventStore.h): a repeat only counts, the first keeps its fd.
        for (size_t i = 0; i < store.stored; ++i) {
            if (store.records[i].stack_id != stack_id) continue;
            store.records[i].size += 1;
            return;
        }
        size = 1;
    }
    if (store.stored == kEventsPerKind) {
        gDropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    snapshot::EventRecord& event = store.records[store.stored++];
    event = snapshot::EventRecord{};
    event.kind = static_cast<uint16_t>(kind);
    event.stack_id = stack_id;
    event.sequence = sequence;
    event.value = value;
    event.size = size;
    event.thread_id = thread_id;
}

uint64_t countOf(snapshot::EventKind kind) noexcept {
    return gStores[indexOf(kind)].seen.load(std::memory_order_relaxed);
}

uint64_t dropped() noexcept { return gDropped.load(std::memory_order_relaxed); }

void forEach(void (*visit)(const snapshot::EventRecord&, void*), void* context) noexcept {
    SpinLockHolder hold(gLock);
    for (size_t kind = 1; kind < kKinds; ++kind)
        for (size_t i = 0; i < gStores[kind].stored; ++i) visit(gStores[kind].records[i], context);
}

void releaseLockOwnedHere() noexcept { gLock.releaseIfOwnedHere(); }

void clear() noexcept {
    SpinLockHolder hold(gLock);
    for (KindStore& store : gStores) {
        store.stored = 0;
        store.seen.store(0, std::memory_order_relaxed);
    }
    gDropped.store(0, std::memory_order_relaxed);
}

void lockForFork() noexcept { gLock.lock(); }
void unlockAfterFork() noexcept { gLock.unlock(); }

}  // namespace leakscope::preload::event_store
