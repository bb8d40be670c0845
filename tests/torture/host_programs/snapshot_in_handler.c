/* leakscope_snapshot() from a 1 ms interval timer's handler while main churns malloc/free; the
   program stops after 20 handler calls and prints how many it counted. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include <leakscope/leakscope.h>

static volatile sig_atomic_t calls = 0;

static void onAlarm(int sig) {
    (void)sig;
    leakscope_snapshot("from-handler");
    calls = calls + 1;
}

int main(void) {
    leakscope_snapshot("warm"); /* resolves the API before any signal */
    struct sigaction action = {0};
    action.sa_handler = onAlarm;
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    void* held[64] = {0};
    for (unsigned long i = 0; calls < 20; ++i) {
        unsigned slot = i % 64;
        free(held[slot]);
        held[slot] = malloc(16 + (i % 512));
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    for (unsigned slot = 0; slot < 64; ++slot) free(held[slot]);
    /* The timer may fire a few more times before it is off: the count is not part of the output. */
    printf("handler calls: %s\n", calls >= 20 ? "at least 20" : "too few");
    return 0;
}
