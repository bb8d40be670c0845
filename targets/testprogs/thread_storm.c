/* N threads x M mixed malloc/calloc/realloc/free operations on per-thread slot rings (argv[1] = threads,
 * argv[2] = operations per thread). Some blocks stay live at exit on purpose. Prints the number of
 * blocks the program itself left live. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64

struct Worker {
    pthread_t thread;
    long operations;
    unsigned seed;
    void* slots[SLOTS];
    long live;
};

static uint32_t nextRandom(uint32_t* state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void* runWorker(void* argument) {
    struct Worker* worker = argument;
    uint32_t state = worker->seed;
    for (long i = 0; i < worker->operations; ++i) {
        uint32_t r = nextRandom(&state);
        unsigned slot = r % SLOTS;
        size_t size = 1 + (r >> 8) % 512;
        if (!worker->slots[slot]) {
            worker->slots[slot] = (r & 0x100) ? malloc(size) : calloc(1, size);
            if (worker->slots[slot]) memset(worker->slots[slot], 1, size);
        } else if (r & 0x200) {
            void* moved = realloc(worker->slots[slot], size);
            if (moved) worker->slots[slot] = moved;
        } else {
            free(worker->slots[slot]);
            worker->slots[slot] = NULL;
        }
    }
    for (unsigned s = 0; s < SLOTS; ++s) worker->live += worker->slots[s] != NULL;
    return NULL;
}

int main(int argc, char** argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    long operations = argc > 2 ? atol(argv[2]) : 1000000;
    if (threads < 1 || threads > 64 || operations < 1) {
        fprintf(stderr, "usage: %s [threads 1..64] [operations per thread]\n", argv[0]);
        return 2;
    }
    struct Worker* workers = calloc((size_t)threads, sizeof(struct Worker));
    for (int t = 0; t < threads; ++t) {
        workers[t].operations = operations;
        workers[t].seed = 2463534242u + (unsigned)t * 7919u;
        pthread_create(&workers[t].thread, NULL, runWorker, &workers[t]);
    }
    long live = 0;
    for (int t = 0; t < threads; ++t) {
        pthread_join(workers[t].thread, NULL);
        live += workers[t].live;
    }
    printf("threads=%d operations=%ld live=%ld\n", threads, operations, live);
    return 0;
}
