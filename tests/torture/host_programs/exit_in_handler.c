/* _exit(3) from a timer signal handler (async-signal-safe, the textbook way to stop from a handler)
   while the main thread churns malloc/free: the handler lands inside the allocator hooks most of the
   time. Without the tool it always exits 0 within milliseconds. */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static void stop(int sig) {
    (void)sig;
    _exit(0);
}

int main(void) {
    struct sigaction action = {0};
    action.sa_handler = stop;
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 0}, {0, 3000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    void* held[64] = {0};
    for (unsigned long i = 0;; ++i) {
        unsigned slot = i % 64;
        free(held[slot]);
        held[slot] = malloc(16 + (i % 512));
    }
}
