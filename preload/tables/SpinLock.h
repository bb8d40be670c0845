// The one lock type of the preload: a test-and-test-and-set spin lock that yields when contended.
// It never allocates and never sleeps in the kernel on a futex another hook could be holding, so a
// hook can take it from any thread. Held only for a few hundred instructions (table operations) or,
// for the snapshot lock, for the duration of one snapshot.
//
// Each lock word holds its owner (a per-thread token, 0 when free). A program's signal handler that
// interrupted the tracker and leaves it with siglongjmp abandons the tracker's frames with their locks
// held; the longjmp recovery (tracker/ThreadState.h) then releases exactly the locks this thread owns
// (each table's forgetThreadState / release...OwnedHere scans its own locks) instead of leaving every
// other thread to wait for them for ever. The hot path pays a compare-and-swap instead of an exchange.
#pragma once

#include <atomic>
#include <cstdint>
#include <sched.h>

namespace leakscope::preload {

// This thread's token in a lock word: the address of a thread-local byte (distinct for live threads).
extern __thread char tLockOwner __attribute__((tls_model("initial-exec")));
inline uintptr_t lockOwnerToken() noexcept { return reinterpret_cast<uintptr_t>(&tLockOwner); }

class SpinLock {
public:
    void lock() noexcept {
        const uintptr_t me = lockOwnerToken();
        for (unsigned spins = 0;; ++spins) {
            uintptr_t expected = 0;
            if (owner_.compare_exchange_weak(expected, me, std::memory_order_acquire, std::memory_order_relaxed))
                return;
            while (owner_.load(std::memory_order_relaxed) != 0) {
                if (++spins > 64) sched_yield();
                else __builtin_ia32_pause();
            }
        }
    }
    bool tryLock() noexcept {
        uintptr_t expected = 0;
        return owner_.compare_exchange_strong(expected, lockOwnerToken(), std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }
    // Up to `attempts` tries, yielding between them: for readers that skip a lock held too long
    // rather than wait on it (a snapshot passing over a busy handle slot).
    bool tryLockPatiently(unsigned attempts) noexcept {
        for (unsigned attempt = 0; attempt < attempts; ++attempt) {
            if (tryLock()) return true;
            sched_yield();
        }
        return false;
    }
    void unlock() noexcept { owner_.store(0, std::memory_order_release); }
    // fork() child: the forking thread held it in the parent; nobody holds it here.
    void resetInChild() noexcept { owner_.store(0, std::memory_order_relaxed); }
    // True when this thread holds it (a nested call from a signal handler asks before it waits).
    bool ownedHere() const noexcept { return owner_.load(std::memory_order_relaxed) == lockOwnerToken(); }
    // After a siglongjmp abandoned the frame that took it: released when this thread owns it.
    void releaseIfOwnedHere() noexcept {
        uintptr_t expected = lockOwnerToken();
        owner_.compare_exchange_strong(expected, 0, std::memory_order_release, std::memory_order_relaxed);
    }

private:
    std::atomic<uintptr_t> owner_{0};  // zero bytes (fresh mmap) are an unlocked lock
};

class SpinLockHolder {
public:
    explicit SpinLockHolder(SpinLock& lock) noexcept : lock_(lock) { lock_.lock(); }
    ~SpinLockHolder() { lock_.unlock(); }
    SpinLockHolder(const SpinLockHolder&) = delete;
    SpinLockHolder& operator=(const SpinLockHolder&) = delete;

private:
    SpinLock& lock_;
};

}  // namespace leakscope::preload
