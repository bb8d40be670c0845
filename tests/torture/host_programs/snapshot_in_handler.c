/* leakscope_snapshot() from a 1 ms interval timer's handler while main churns malloc/free; the
   program stops after 20 handler calls and prints how many it counted. With the argument "cold" the
   first call of the API is the handler's (no warm-up call from main); the loop is mostly malloc and
   free, so that first call often interrupts malloc: the header must not look the function up then
   (dlsym takes locks and allocates), with or without the tool. A second thread is started first:
   glibc's malloc takes its arena lock only once the process has more than one thread, and the
   deadlock was dlsym waiting for that lock. The handler turns the timer off at its 20th call itself:
   a snapshot takes milliseconds, and on a loaded machine (CI at load 6-18) longer than the timer's
   period, so a handler that landed outside the tool wrote one on the spot and ran again at once, with
   no end while the timer ran (a handler slower than its timer starves the thread it interrupts, with
   or without the tool); the program, waiting for its main loop to stop the timer, never ended. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include <leakscope/leakscope.h>

static volatile sig_atomic_t calls = 0;

static volatile int finished = 0;

static void* idle(void* unused) {
    (void)unused;
    while (!finished) usleep(1000);
    return NULL;
}

static void onAlarm(int sig) {
    (void)sig;
    leakscope_snapshot("from-handler");
    calls = calls + 1;
    if (calls >= 20) { /* >=: with "cold", two threads' handlers may both count past 20 at once */
        const struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL); /* one system call, as safe in a handler as timer_settime */
    }
}

int main(int argc, char** argv) {
    const int cold = argc > 1 && strcmp(argv[1], "cold") == 0;
    if (!cold) leakscope_snapshot("warm");
    pthread_t second;
    if (cold) pthread_create(&second, NULL, idle, NULL);
    struct sigaction action = {0};
    action.sa_handler = onAlarm;
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    void* held[256] = {0}; /* more blocks per size than tcache keeps: malloc takes its arena lock */
    for (unsigned long i = 0; calls < 20; ++i) {
        unsigned slot = i % 256;
        free(held[slot]);
        held[slot] = malloc(16 + (i % 300));
    }
    for (unsigned slot = 0; slot < 256; ++slot) free(held[slot]);
    if (cold) {
        finished = 1;
        pthread_join(second, NULL);
    }
    /* The 20th call turned the timer off; one more already pending may follow: the count is not part
       of the output. */
    printf("handler calls: %s\n", calls >= 20 ? "at least 20" : "too few");
    /* The exact count on stderr (the tests compare stdout with a plain run): every call is a snapshot
       file or a request merged into a pending one (Counters::snapshot_requests_merged). */
    fprintf(stderr, "handler calls exactly: %d\n", (int)calls);
    return 0;
}
