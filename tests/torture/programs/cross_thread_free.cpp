// 16 threads in a ring: each allocates blocks and hands them to its neighbour, which checks and frees
// them. Every block is freed by a different thread than the one that allocated it, the case that
// breaks trackers keeping per-thread tables or taking a thread's lock on free.
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 16;
constexpr int kBlocksPerThread = 20000;

struct Block {
    int owner;
    int index;
    size_t size;
};

struct Mailbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Block*> blocks;
};

Mailbox mailboxes[kThreads];

size_t blockSize(int owner, int index) { return sizeof(Block) + static_cast<size_t>((owner * 131 + index * 17) % 512); }

Block* allocateBlock(int owner, int index) {
    size_t size = blockSize(owner, index);
    auto* block = static_cast<Block*>(std::malloc(size));
    block->owner = owner;
    block->index = index;
    block->size = size;
    std::memset(reinterpret_cast<char*>(block) + sizeof(Block), owner & 0x7f, size - sizeof(Block));
    return block;
}

// Checks a neighbour's block byte for byte, then frees it; returns the bytes verified.
uint64_t checkAndFree(Block* block) {
    const char* tail = reinterpret_cast<const char*>(block) + sizeof(Block);
    for (size_t i = 0; i < block->size - sizeof(Block); ++i) {
        if (tail[i] != (block->owner & 0x7f)) {
            std::fprintf(stderr, "corrupt block %d/%d\n", block->owner, block->index);
            std::abort();
        }
    }
    uint64_t size = block->size;
    std::free(block);
    return size;
}

// Checks and frees every block waiting in the inbox; the lock is released while each is checked.
uint64_t drain(Mailbox& inbox, std::unique_lock<std::mutex>& lock, int& received) {
    uint64_t freed_bytes = 0;
    while (!inbox.blocks.empty()) {
        Block* incoming = inbox.blocks.front();
        inbox.blocks.pop_front();
        lock.unlock();
        freed_bytes += checkAndFree(incoming);
        ++received;
        lock.lock();
    }
    return freed_bytes;
}

uint64_t runThread(int self) {
    Mailbox& outbox = mailboxes[(self + 1) % kThreads];
    Mailbox& inbox = mailboxes[self];
    uint64_t freed_bytes = 0;
    int received = 0;
    for (int i = 0; i < kBlocksPerThread; ++i) {
        Block* block = allocateBlock(self, i);
        {
            std::lock_guard lock(outbox.mutex);
            outbox.blocks.push_back(block);
        }
        outbox.ready.notify_one();
        // Free whatever has arrived so queues stay short and frees interleave with allocations.
        std::unique_lock lock(inbox.mutex);
        freed_bytes += drain(inbox, lock, received);
    }
    std::unique_lock lock(inbox.mutex);
    while (received < kBlocksPerThread) {
        inbox.ready.wait(lock, [&] { return !inbox.blocks.empty(); });
        freed_bytes += drain(inbox, lock, received);
    }
    return freed_bytes;
}

}  // namespace

int main() {
    std::vector<uint64_t> freed(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([t, &freed] { freed[t] = runThread(t); });
    for (auto& thread : threads) thread.join();
    uint64_t total = 0;
    for (int t = 0; t < kThreads; ++t) {
        // Thread t freed what thread t-1 allocated: the expected total is known in advance.
        int producer = (t + kThreads - 1) % kThreads;
        uint64_t expected = 0;
        for (int i = 0; i < kBlocksPerThread; ++i) expected += blockSize(producer, i);
        if (freed[t] != expected) {
            std::printf("thread %d freed %llu bytes, expected %llu\n", t, (unsigned long long)freed[t],
                        (unsigned long long)expected);
            return 1;
        }
        total += freed[t];
    }
    std::printf("%d threads, %d blocks each, freed across threads: %llu bytes\n", kThreads, kBlocksPerThread,
                (unsigned long long)total);
    return 0;
}
