/* Leak and non-leak shapes across lifecycle cycles, one per mode, for tests/verdict (docs/analysis.md
 * has the table of shapes). Every mode takes one leakscope_snapshot("cycle") per cycle and frees what it
 * still holds before exit unless the mode's comment says otherwise.
 * Usage: verdict_shapes MODE [CYCLES] [K]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

#define MAX_KEPT 4096
void *kept[MAX_KEPT]; /* not static: stores into it stay in the program */
int kept_n;

static void keep(void *p) {
    if (kept_n < MAX_KEPT) kept[kept_n++] = p;
}

static void release_all(void) {
    while (kept_n > 0) free(kept[--kept_n]);
}

/* Deterministic pseudo-random numbers (same run every time). */
static uint32_t rng = 12345;
static unsigned next_random(unsigned span) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) % (span + 1);
}

/* ---- leaks ---- */

/* +1 block of 256 B on every k-th cycle (l_every2nd.c's kind). */
__attribute__((noinline)) void refresh_every_kth(int cycle, int k) {
    if (cycle % k == 0) keep(memset(malloc(256), cycle, 256));
}

/* Nothing for a long time, then +1 block of 128 B on each of the last `late` cycles. */
__attribute__((noinline)) void leak_late(int cycle, int cycles, int late) {
    if (cycle >= cycles - late) keep(memset(malloc(128), cycle, 128));
}

/* One call site keeps a random 0..20 blocks of 64 B (noise) and leaks one more block per cycle. */
#define NOISE_MAX 20
static void *noisy[NOISE_MAX];
static int noisy_n;
__attribute__((noinline)) void *noisy_alloc(void) { return memset(malloc(64), 1, 64); }
static void noisy_cycle(void) {
    int want = (int)next_random(NOISE_MAX);
    while (noisy_n > want) free(noisy[--noisy_n]);
    while (noisy_n < want) noisy[noisy_n++] = noisy_alloc();
    keep(noisy_alloc()); /* the leak: same call site */
}

/* ---- not leaks ---- */

static void *g_cache;
/* A one-time cache, filled at cycle 3. */
__attribute__((noinline)) void cache_once(int cycle) {
    if (cycle == 3 && !g_cache) g_cache = calloc(1, 4096);
}

/* A cache filling one entry per cycle over the first 5 cycles. */
__attribute__((noinline)) void cache_fill(int cycle) {
    if (cycle < 5) keep(calloc(1, 512));
}

/* A bounded LRU of 16 entries: one insertion per cycle, the oldest evicted when full. */
#define LRU_CAP 16
static void *lru[LRU_CAP];
static int lru_head, lru_n;
__attribute__((noinline)) void lru_insert(int cycle) {
    if (lru_n == LRU_CAP) {
        free(lru[lru_head]);
        lru_head = (lru_head + 1) % LRU_CAP;
        --lru_n;
    }
    lru[(lru_head + lru_n++) % LRU_CAP] = memset(malloc(200), cycle, 200);
}
static void lru_clear(void) {
    while (lru_n > 0) {
        free(lru[lru_head]);
        lru_head = (lru_head + 1) % LRU_CAP;
        --lru_n;
    }
}

/* An object pool: each cycle takes 0..8 objects and gives them back; new objects only when it is empty,
 * so it grows to its high-water mark and then stays. */
#define POOL_MAX 16
static void *pool_free[POOL_MAX];
static int pool_free_n;
__attribute__((noinline)) void *pool_new_object(void) { return calloc(1, 96); }
static void pool_cycle(void) {
    void *taken[POOL_MAX];
    int want = (int)next_random(8);
    for (int i = 0; i < want; ++i) taken[i] = pool_free_n ? pool_free[--pool_free_n] : pool_new_object();
    for (int i = 0; i < want; ++i) pool_free[pool_free_n++] = taken[i];
}
static void pool_clear(void) {
    while (pool_free_n) free(pool_free[--pool_free_n]);
}

/* A sawtooth: a batch gains one block per cycle and is freed every 4 cycles. */
__attribute__((noinline)) void batch_add(int cycle) {
    if (cycle % 4 == 0) release_all();
    keep(malloc(300));
}

/* A periodic flush: grows 9 cycles, then everything is flushed (drops to zero). */
__attribute__((noinline)) void journal_append(int cycle) {
    if (cycle % 10 == 9) release_all();
    else keep(malloc(150));
}

/* A thread per cycle: created, does some allocating work with thread-local state, joined. */
static __thread char *tls_scratch;
static void *thread_work(void *arg) {
    tls_scratch = malloc(1024);
    memset(tls_scratch, (int)(intptr_t)arg, 1024);
    free(tls_scratch);
    return NULL;
}
__attribute__((noinline)) void thread_per_cycle(int cycle) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, thread_work, (void *)(intptr_t)cycle) == 0) pthread_join(thread, NULL);
}

/* Four long-lived workers; worker i first gets work at cycle 2*i and creates its buffer then (lazily). */
#define WORKERS 4
static sem_t work_ready[WORKERS], work_done;
static volatile int stopping;
static __thread char *worker_buffer;
__attribute__((noinline)) void worker_buffer_create(void) { worker_buffer = calloc(1, 2048); }
static void *worker_main(void *arg) {
    int id = (int)(intptr_t)arg;
    for (;;) {
        sem_wait(&work_ready[id]);
        if (stopping) break;
        if (!worker_buffer) worker_buffer_create();
        worker_buffer[0]++;
        sem_post(&work_done);
    }
    free(worker_buffer);
    return NULL;
}

/* glibc's own state, created by the first calls: stdio buffer, time zone, the passwd database. */
__attribute__((noinline)) void use_glibc(int cycle) {
    if (cycle == 0) printf("cycle 0\n");
    if (cycle == 1) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
    }
    if (cycle == 2) (void)getpwuid(0);
    fflush(stdout);
}

/* Frees from another stack: produce() allocates every cycle, consume() frees the previous block. */
static void *in_flight;
__attribute__((noinline)) void *produce(int cycle) { return memset(malloc(700), cycle, 700); }
__attribute__((noinline)) void consume(void *p) { free(p); }

/* ---- handles ---- */
static int fds[1024];
static int fd_n;
/* +1 eventfd on every k-th cycle, never closed until exit. */
__attribute__((noinline)) void open_wakeup_every_kth(int cycle, int k) {
    if (cycle % k == 0 && fd_n < 1024) fds[fd_n++] = eventfd(0, 0);
}
static int g_log = -1, g_wake = -1;
/* A log file and an eventfd opened once and held until exit (n_handle_once.c's kind). */
__attribute__((noinline)) void open_once(int cycle) {
    if (cycle != 1) return;
    char path[64];
    snprintf(path, sizeof path, "/tmp/verdict-shapes-%d.log", (int)getpid());
    g_log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    unlink(path);
    g_wake = eventfd(0, 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: verdict_shapes MODE [CYCLES] [K]\n");
        return 2;
    }
    const char *mode = argv[1];
    int cycles = argc > 2 ? atoi(argv[2]) : 40;
    int k = argc > 3 ? atoi(argv[3]) : 2;
    if (cycles < 0 || cycles > 1000 || k < 1) return 2;
    pthread_t workers[WORKERS];
    if (strcmp(mode, "per_thread_buffers") == 0) {
        sem_init(&work_done, 0, 0);
        for (int i = 0; i < WORKERS; ++i) {
            sem_init(&work_ready[i], 0, 0);
            pthread_create(&workers[i], NULL, worker_main, (void *)(intptr_t)i);
        }
    }
    for (int c = 0; c < cycles; ++c) {
        if (strcmp(mode, "every_kth") == 0) refresh_every_kth(c, k);
        else if (strcmp(mode, "late") == 0) leak_late(c, cycles, k);
        else if (strcmp(mode, "noisy_trend") == 0) noisy_cycle();
        else if (strcmp(mode, "cache_once") == 0) cache_once(c);
        else if (strcmp(mode, "cache_fill") == 0) cache_fill(c);
        else if (strcmp(mode, "lru") == 0) lru_insert(c);
        else if (strcmp(mode, "pool") == 0) pool_cycle();
        else if (strcmp(mode, "sawtooth") == 0) batch_add(c);
        else if (strcmp(mode, "flush") == 0) journal_append(c);
        else if (strcmp(mode, "thread_per_cycle") == 0) thread_per_cycle(c);
        else if (strcmp(mode, "per_thread_buffers") == 0) {
            for (int w = 0; w < WORKERS && w <= c / 2; ++w) {
                sem_post(&work_ready[w]);
                sem_wait(&work_done);
            }
        } else if (strcmp(mode, "glibc_state") == 0) use_glibc(c);
        else if (strcmp(mode, "other_stack_frees") == 0) {
            void *next = produce(c);
            if (in_flight) consume(in_flight);
            in_flight = next;
        } else if (strcmp(mode, "handles_every_kth") == 0) open_wakeup_every_kth(c, k);
        else if (strcmp(mode, "handle_once") == 0) open_once(c);
        else {
            fprintf(stderr, "verdict_shapes: unknown mode %s\n", mode);
            return 2;
        }
        leakscope_snapshot("cycle");
    }
    if (strcmp(mode, "per_thread_buffers") == 0) {
        stopping = 1;
        for (int i = 0; i < WORKERS; ++i) sem_post(&work_ready[i]);
        for (int i = 0; i < WORKERS; ++i) pthread_join(workers[i], NULL);
    }
    release_all();
    lru_clear();
    pool_clear();
    free(g_cache);
    free(in_flight);
    for (int i = 0; i < fd_n; ++i) close(fds[i]);
    return 0; /* handle_once keeps g_log and g_wake open: the kernel closes them at exit */
}
