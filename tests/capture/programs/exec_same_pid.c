/* The first image leaks 1000 B per cycle over 5 cycles, then execs itself with the same pid as
 * "second", which takes 5 clean cycle snapshots. The two images must have distinct identities. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <leakscope/leakscope.h>

void *keep[8];
__attribute__((noinline)) void first_image_leak(int i) { keep[i] = malloc(1000); }

int main(int argc, char **argv) {
    const int second = argc > 1 && strcmp(argv[1], "second") == 0;
    for (int i = 0; i < 5; ++i) {
        if (!second) first_image_leak(i);
        leakscope_snapshot("cycle");
    }
    if (!second) execl("/proc/self/exe", argv[0], "second", (char *)0);
    return 0;
}
