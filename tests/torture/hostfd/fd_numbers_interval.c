/* What a program sees of its fd numbers while snapshots are written every millisecond (issue 16 h16,
 * kind 2): run with LEAKSCOPE_INTERVAL_MS=1, plainly and under the preload, and compare the output.
 *
 * usage: hostfd_fd_numbers_interval THREADS ROUNDS SNAPSHOTS
 *
 * Closes stderr (fd 2 is then the lowest free number, where a tool file opened by the kernel's
 * lowest-free rule would land), then THREADS threads each do at least ROUNDS rounds of: write a
 * diagnostic line to the closed fd 2 (EBADF in a plain run), open /dev/null twice and "data.txt" once,
 * note the three numbers, close them. One mutex around each round makes the numbers a plain run gets
 * independent of the thread interleaving. Meanwhile one more thread asks for SNAPSHOTS snapshots
 * labelled "tick" (leakscope_snapshot: a no-op without the tool), and the rounds go on until it is
 * done, so that many snapshots are written alongside them however fast the machine is (on top of the
 * interval's). Prints, per thread, how many writes to fd 2 succeeded and which numbers open() gave
 * (a failed open shows as ">=64"). data.txt is only read. Exit 0; 2 on bad usage.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

enum { kMaxThreads = 16, kMaxNumber = 64 };

static pthread_mutex_t round_lock = PTHREAD_MUTEX_INITIALIZER;
static long rounds;
static long snapshots;
static atomic_int snapshots_done;

struct tally {
    long writes_succeeded;
    long numbers[kMaxNumber + 1]; /* the last one counts every number above kMaxNumber - 1 */
};

static struct tally tallies[kMaxThreads];

static void note(struct tally* tally, int fd) {
    tally->numbers[fd < 0 ? kMaxNumber : fd < kMaxNumber ? fd : kMaxNumber]++;
}

static void* churn(void* argument) {
    struct tally* tally = argument;
    static const char line[] = "diagnostic line from the program\n";
    for (long round = 0; round < rounds || !atomic_load(&snapshots_done); ++round) {
        pthread_mutex_lock(&round_lock);
        if (write(2, line, sizeof line - 1) > 0) tally->writes_succeeded++;
        int first = open("/dev/null", O_RDONLY);
        int data = open("data.txt", O_RDONLY);
        int second = open("/dev/null", O_WRONLY);
        note(tally, first);
        note(tally, data);
        note(tally, second);
        close(second);
        close(data);
        close(first);
        pthread_mutex_unlock(&round_lock);
        struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void* snapshotter(void* unused) {
    (void)unused;
    for (long i = 0; i < snapshots; ++i) leakscope_snapshot("tick");
    atomic_store(&snapshots_done, 1);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: hostfd_fd_numbers_interval THREADS ROUNDS SNAPSHOTS\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    rounds = atol(argv[2]);
    snapshots = atol(argv[3]);
    if (threads < 1 || threads > kMaxThreads || rounds < 1 || snapshots < 0) return 2;
    FILE* data = fopen("data.txt", "w");
    if (!data || fputs("the program's data\n", data) < 0 || fclose(data) != 0) return 2;
    close(2);
    pthread_t workers[kMaxThreads];
    pthread_t asker;
    for (int i = 0; i < threads; ++i)
        if (pthread_create(&workers[i], NULL, churn, &tallies[i]) != 0) return 2;
    if (pthread_create(&asker, NULL, snapshotter, NULL) != 0) return 2;
    pthread_join(asker, NULL);
    for (int i = 0; i < threads; ++i) pthread_join(workers[i], NULL);
    for (int i = 0; i < threads; ++i) {
        printf("thread %d: writes to the closed fd 2 that succeeded: %ld; numbers:", i, tallies[i].writes_succeeded);
        for (int fd = 0; fd <= kMaxNumber; ++fd)
            if (tallies[i].numbers[fd]) printf(" %s%d", fd == kMaxNumber ? ">=" : "", fd);
        printf("\n");
    }
    return 0;
}
