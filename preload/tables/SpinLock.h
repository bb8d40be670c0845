// The one lock type of the preload: a test-and-test-and-set spin lock that yields when contended.
// It never allocates and never sleeps in the kernel on a futex another hook could be holding, so a
// hook can take it from any thread. Held only for a few hundred instructions (table operations) or,
// for the snapshot lock, for the duration of one snapshot.
#pragma once

#include <atomic>
#include <sched.h>

namespace leakscope::preload {

class SpinLock {
public:
    void lock() noexcept {
        for (unsigned spins = 0;; ++spins) {
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
            while (locked_.load(std::memory_order_relaxed)) {
                if (++spins > 64) sched_yield();
                else __builtin_ia32_pause();
            }
        }
    }
    bool tryLock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
    // Up to `attempts` tries, yielding between them: for readers that skip a lock held too long
    // rather than wait on it (a snapshot passing over a busy handle slot).
    bool tryLockPatiently(unsigned attempts) noexcept {
        for (unsigned attempt = 0; attempt < attempts; ++attempt) {
            if (tryLock()) return true;
            sched_yield();
        }
        return false;
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }
    // fork() child: the forking thread held it in the parent; nobody holds it here.
    void resetInChild() noexcept { locked_.store(false, std::memory_order_relaxed); }

private:
    std::atomic<bool> locked_{false};
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
