/* A ring of malloc'ed blocks whose sizes vary, snapshotted at irregular moments, for tests/verdict
 * (shared case 24's kind: a bounded set must never be judged a leak, wherever the snapshots fall).
 *
 * Every iteration replaces one slot: free(held[s]); held[s] = malloc(16 + i % 512). The live count of
 * ring_refill's call path is the number of slots; its bytes are a moving sum of the last sizes, which
 * rise for 448 iterations and fall back every 512.
 *
 * Usage: verdict_ring bounded|leaky|filling kth|timer SNAPSHOTS SEED
 *   bounded  64 slots for the whole run.
 *   leaky    the ring gains one slot per snapshot (a block kept every cycle, the twin that must gate).
 *   filling  the ring starts with F slots and gains F per snapshot until it holds 64, F drawn from 5..8,
 *            then only refills: a pool filling up over its first cycles. Its count levels off after
 *            8-13 snapshots while its bytes go on setting new highs from the sizes (kth only).
 *   kth      leakscope_snapshot("cycle") after every k-th iteration, k drawn from 1..48 (seeded by SEED),
 *            from a phase of the sizes drawn too: 20 snapshots span about 500 iterations, so most of
 *            them land on one rising part of the sizes, and some runs see a fall.
 *   timer    leakscope_snapshot("cycle") from a 2 ms interval timer's handler, as in case 24: while the
 *            snapshot takes about as long as the interval, the handler runs nearly back to back and the
 *            loop advances by a few iterations at a time (bounded only: how far it gets is up to the
 *            scheduler).
 * Everything is freed before exit.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "leakscope/leakscope.h"

#define BASE_SLOTS 64
#define MAX_SLOTS (BASE_SLOTS + 1024)

static void *held[MAX_SLOTS];
static unsigned slots = BASE_SLOTS;
static volatile sig_atomic_t snapshots_taken;

static uint32_t rng;
static unsigned next_random(unsigned span) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) % span;
}

__attribute__((noinline)) void ring_refill(unsigned s, unsigned long i) {
    free(held[s]);
    held[s] = malloc(16 + i % 512);
}

/* Iteration i refills the slot it comes to, or (grow) a new slot: one call path for every block. */
__attribute__((noinline)) void advance(unsigned long i, int grow) { ring_refill(grow ? slots++ : (unsigned)(i % slots), i); }

static void on_alarm(int sig) {
    (void)sig;
    leakscope_snapshot("cycle");
    snapshots_taken = snapshots_taken + 1;
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "bounded") != 0 && strcmp(argv[2], "timer") == 0)) {
        fprintf(stderr, "usage: verdict_ring bounded|leaky|filling kth SNAPSHOTS SEED, or bounded timer SNAPSHOTS SEED\n");
        return 2;
    }
    const int leaky = strcmp(argv[1], "leaky") == 0, timer = strcmp(argv[2], "timer") == 0;
    const int wanted = atoi(argv[3]);
    rng = (uint32_t)strtoul(argv[4], NULL, 10);
    const unsigned fill = strcmp(argv[1], "filling") == 0 ? 5 + next_random(4) : 0;
    if (fill) slots = fill;
    unsigned long i = 0;
    /* The ring is full before the first snapshot. */
    for (unsigned long start = BASE_SLOTS + (timer ? 0 : next_random(512)); i < start; ++i) advance(i, 0);
    if (timer) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_alarm;
        sigaction(SIGALRM, &action, NULL);
        struct itimerval every = {{0, 2000}, {0, 2000}};
        setitimer(ITIMER_REAL, &every, NULL);
        for (; snapshots_taken < wanted; ++i) advance(i, 0);
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    } else {
        for (int taken = 0; taken < wanted; ++taken) {
            for (unsigned k = 1 + next_random(48); k > 0; --k, ++i) advance(i, 0);
            if (leaky && slots < MAX_SLOTS) advance(i++, 1);
            for (unsigned added = 0; fill && added < fill && slots < BASE_SLOTS; ++added) advance(i++, 1);
            leakscope_snapshot("cycle");
        }
    }
    for (unsigned s = 0; s < slots; ++s) free(held[s]);
    return 0;
}
