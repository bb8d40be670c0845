// A malloc-heavy loop interrupted thousands of times by a timer signal, so signals land inside the
// tracker's hooks. Mode `safe`: the handler does only async-signal-safe work. Mode `malloc`: the handler
// itself allocates, which POSIX forbids but real programs do; the tracker must not deadlock on its own
// lock when the interrupted hook holds it. Plain glibc survives the `malloc` mode only while both the
// loop and the handler are served from the per-thread cache (tcache: no arena lock): so the loop holds
// at most 4 blocks of one size class, the handler uses another, and both are warmed up before the timer
// starts. Then only a tracker could hang it.
#include <signal.h>
#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

volatile sig_atomic_t signals_seen = 0;
volatile sig_atomic_t handler_allocations_ok = 0;

void countSignal(int) { signals_seen = signals_seen + 1; }

void allocateInHandler(int) {
    signals_seen = signals_seen + 1;
    void* p = std::malloc(200);
    if (p) {
        std::memset(p, 0x5a, 200);
        handler_allocations_ok = handler_allocations_ok + 1;
    }
    std::free(p);
}

// Allocation churn with a checkable result; the volatile sink keeps the compiler from removing it.
unsigned long long churn(long iterations) {
    void* held[4] = {};
    unsigned long long checksum = 0;
    for (long i = 0; i < iterations; ++i) {
        int slot = static_cast<int>(i % 4);
        std::free(held[slot]);
        auto* block = static_cast<unsigned char*>(std::malloc(17 + (i % 8)));  // one 32-byte size class
        block[0] = static_cast<unsigned char>(i);
        checksum += block[0];
        held[slot] = block;
    }
    for (void* p : held) std::free(p);
    return checksum;
}

}  // namespace

int main(int argc, char** argv) {
    bool allocating_handler = argc > 1 && std::strcmp(argv[1], "malloc") == 0;
    struct sigaction action {};
    action.sa_handler = allocating_handler ? allocateInHandler : countSignal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, nullptr);
    std::free(std::malloc(200));  // the handler's size class is in the thread cache before any signal
    churn(100);

    itimerval every_50us{{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &every_50us, nullptr);
    const long iterations = 3'000'000;
    unsigned long long checksum = churn(iterations);
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);

    std::printf("mode %s: %ld iterations, checksum %llu\n", allocating_handler ? "malloc" : "safe", iterations,
                checksum);
    // The count varies run to run; that signals arrived at all is what must hold.
    std::printf("signals delivered: %s\n", signals_seen > 0 ? "yes" : "no");
    if (allocating_handler)
        std::printf("handler allocations: %s\n", handler_allocations_ok == signals_seen ? "all succeeded" : "some failed");
    return signals_seen > 0 ? 0 : 1;
}
