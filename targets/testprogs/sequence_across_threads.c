/* Sequence numbers across a snapshot on two threads. Both threads allocate before snapshot "A", so each
 * has reserved a block of allocation numbers (the preload hands them out per thread); then both allocate
 * again and snapshot "B" is taken. `leakscope diff A B` must count exactly the blocks allocated after A:
 * a number left over from a block reserved before A must not be used after it. The worker waits on a
 * pipe (no allocation in between) so that the order is fixed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

#define BEFORE_COUNT 5
#define AFTER_WORKER_COUNT 7
#define AFTER_MAIN_COUNT 3

void* g_blocks[2 * BEFORE_COUNT + AFTER_WORKER_COUNT + AFTER_MAIN_COUNT];
static int g_to_worker[2], g_to_main[2];

/* The store after each call keeps it from becoming a tail call: the function's frame is on the stack. */
__attribute__((noinline, visibility("default"))) void seq_before_snapshot(int i) { g_blocks[i] = malloc(40); }
__attribute__((noinline, visibility("default"))) void seq_after_worker(int i) { g_blocks[i] = malloc(56); }
__attribute__((noinline, visibility("default"))) void seq_after_main(int i) { g_blocks[i] = malloc(72); }

static void signal_fd(int fd) {
    char byte = 1;
    if (write(fd, &byte, 1) != 1) exit(3);
}

static void wait_fd(int fd) {
    char byte;
    if (read(fd, &byte, 1) != 1) exit(3);
}

static void* worker(void* unused) {
    (void)unused;
    for (int i = 0; i < BEFORE_COUNT; ++i) seq_before_snapshot(BEFORE_COUNT + i);
    signal_fd(g_to_main[1]);
    wait_fd(g_to_worker[0]); /* snapshot A taken */
    for (int i = 0; i < AFTER_WORKER_COUNT; ++i) seq_after_worker(2 * BEFORE_COUNT + i);
    return NULL;
}

int main(void) {
    if (pipe(g_to_worker) != 0 || pipe(g_to_main) != 0) return 2;
    for (int i = 0; i < BEFORE_COUNT; ++i) seq_before_snapshot(i);
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) return 2;
    wait_fd(g_to_main[0]);
    leakscope_snapshot("A");
    signal_fd(g_to_worker[1]);
    for (int i = 0; i < AFTER_MAIN_COUNT; ++i) seq_after_main(2 * BEFORE_COUNT + AFTER_WORKER_COUNT + i);
    pthread_join(thread, NULL);
    leakscope_snapshot("B");
    printf("before %d, after %d\n", 2 * BEFORE_COUNT, AFTER_WORKER_COUNT + AFTER_MAIN_COUNT);
    return 0;
}
