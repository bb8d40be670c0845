/* A daemon's start: closes every fd number from 3 to sysconf(_SC_OPEN_MAX) - 1 once ("close every fd"
 * idiom, valgrind says nothing about it), then runs CYCLES cycles that each open a file and a pipe and
 * close them correctly, with a snapshot "cycle" after each. Only the fds it held open (the inherited
 * ones) are really closed by the sweep; every other close fails with EBADF and closes nothing.
 *
 * Usage: handleprog_close_sweep [--inherit] MODE CYCLES
 *   --inherit  first put /dev/null on fd 10 and a pipe on fd 251 (the fds this machine's processes start
 *              with), then exec itself without the flag: the new image starts with them open, a baseline
 *              its sweep closes
 *   clean      nothing else: `run --check` passes, the sweep is listed as informational
 *   double     each cycle also closes one fd twice (a real double close): the gate fails
 *   invalid    after the cycles, close(-1) 300 times from one function: more events of one kind than
 *              the preload's event store keeps (256), so the report says its list is incomplete
 * Prints "inherited N" (how many of fds 10 and 251 were open at start) and "swept N" (the fds the sweep
 * really closed). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

static void fail(const char *what) {
    fprintf(stderr, "handleprog_close_sweep: %s: %s\n", what, strerror(errno));
    exit(3);
}

__attribute__((noinline)) int close_every_fd(void) {
    int closed = 0;
    const long open_max = sysconf(_SC_OPEN_MAX);
    for (long fd = 3; fd < open_max; ++fd) closed += close((int)fd) == 0;
    return closed;
}

__attribute__((noinline)) void open_and_close_per_cycle(void) {
    int file = open("/dev/null", O_RDONLY);
    int ends[2];
    if (file < 0 || pipe(ends) != 0) fail("open or pipe");
    close(ends[0]);
    close(ends[1]);
    close(file);
}

__attribute__((noinline)) void close_twice(void) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) fail("open /dev/null");
    close(fd);
    close(fd); /* the bug: EBADF now, someone else's file once the number is reused */
}

__attribute__((noinline)) void close_unset_fds(int times) {
    volatile int unset = -1;
    for (int i = 0; i < times; ++i) close(unset);
}

/* Opens what the next image inherits at fixed numbers, then execs this program without --inherit. */
static void exec_with_inherited(char **argv) {
    int null_fd = open("/dev/null", O_RDONLY);
    int ends[2];
    if (null_fd < 0 || pipe(ends) != 0) fail("open or pipe");
    if (dup2(null_fd, 10) != 10 || dup2(ends[1], 251) != 251) fail("dup2");
    close(null_fd);
    close(ends[0]);
    close(ends[1]);
    execv("/proc/self/exe", argv);
    fail("exec");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--inherit") == 0) {
        argv[1] = argv[0];
        exec_with_inherited(argv + 1);
    }
    if (argc != 3) {
        fprintf(stderr, "usage: handleprog_close_sweep [--inherit] clean|double|invalid CYCLES\n");
        return 2;
    }
    const char *mode = argv[1];
    const int cycles = atoi(argv[2]);
    if (cycles <= 0 || (strcmp(mode, "clean") != 0 && strcmp(mode, "double") != 0 && strcmp(mode, "invalid") != 0)) {
        fprintf(stderr, "handleprog_close_sweep: bad MODE or CYCLES: %s %s\n", mode, argv[2]);
        return 2;
    }
    printf("inherited %d\n", (fcntl(10, F_GETFD) != -1) + (fcntl(251, F_GETFD) != -1));
    printf("swept %d\n", close_every_fd());
    fflush(stdout);
    for (int cycle = 0; cycle < cycles; ++cycle) {
        open_and_close_per_cycle();
        if (strcmp(mode, "double") == 0) close_twice();
        leakscope_snapshot("cycle");
    }
    if (strcmp(mode, "invalid") == 0) close_unset_fds(300);
    return 0;
}
