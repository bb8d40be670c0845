/* The first image leaks 1000 B per cycle with a snapshot per cycle, then execs itself (same pid) as
 * "second", which takes clean cycle snapshots and exits (21_exec_same_pid.c's kind).
 * Usage: verdict_exec_same_pid [CYCLES] */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

void *kept[64];

__attribute__((noinline)) void leak_in_first_image(int i) { kept[i] = memset(malloc(1000), i, 1000); }

int main(int argc, char **argv) {
    int second = argc > 2 && strcmp(argv[2], "second") == 0;
    int cycles = argc > 1 ? atoi(argv[1]) : 8;
    if (cycles < 1 || cycles > 64) return 2;
    for (int i = 0; i < cycles; ++i) {
        if (!second) leak_in_first_image(i);
        leakscope_snapshot("cycle");
    }
    if (!second) execl("/proc/self/exe", argv[0], argv[1], "second", (char *)0);
    return 0;
}
