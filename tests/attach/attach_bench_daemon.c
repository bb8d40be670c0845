/* The daemon scripts/bench attaches to (docs/BENCHMARKS.md, "Attach"): serves requests back to back
 * until STOP_FILE exists, each 64 allocations of 32..2048 bytes freed again (one in 100 requests keeps
 * its first block), and every 100 ms appends "window END_NS REQUESTS MAX_GAP_NS" to LOG_FILE: the
 * CLOCK_MONOTONIC end of the window, the requests served in it, and the longest time between two
 * request completions (a stop of the thread by a tracer shows there).
 *
 * usage: attach_bench_daemon LOG_FILE STOP_FILE [PAUSE_US]
 * PAUSE_US (default 0): a nanosleep between requests, so that the thread mostly waits in the kernel,
 * as a daemon between requests does (0: back to back, the thread is nearly always inside malloc).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void* kept[1 << 20];

__attribute__((noinline)) static void serve(uint64_t request) {
    void* blocks[64];
    for (int i = 0; i < 64; ++i) {
        blocks[i] = malloc(32 + (size_t)((request * 7 + (uint64_t)i * 13) % 2017));
        ((volatile char*)blocks[i])[0] = (char)i;
    }
    int keep = request % 100 == 0 && request / 100 < (1 << 20);
    if (keep) kept[request / 100] = blocks[0];
    for (int i = keep; i < 64; ++i) free(blocks[i]);
}

int main(int argc, char** argv) {
    if (argc != 3 && argc != 4) return 2;
    long pause_us = argc == 4 ? atol(argv[3]) : 0;
    struct timespec pause = {0, pause_us * 1000};
    FILE* log = fopen(argv[1], "w");
    if (!log) return 2;
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    uint64_t request = 0, served = 0, max_gap = 0;
    uint64_t last = now_ns(), window_end = last + 100000000u;
    for (;;) {
        serve(++request);
        ++served;
        if (pause_us > 0) nanosleep(&pause, NULL);
        uint64_t t = now_ns();
        if (t - last > max_gap) max_gap = t - last;
        last = t;
        if (t >= window_end) {
            fprintf(log, "window %llu %llu %llu\n", (unsigned long long)t, (unsigned long long)served,
                    (unsigned long long)max_gap);
            fflush(log);
            served = max_gap = 0;
            window_end = t + 100000000u;
            if (access(argv[2], F_OK) == 0) break;
        }
    }
    fclose(log);
    return 0;
}
