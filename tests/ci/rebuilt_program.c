/* The program ci_rebuilt_in_place runs, linked without a build-id: keep_session_buffer keeps a
 * 512-byte block per cycle (8 "cycle" snapshots), look_up_at_start allocates nothing.
 * Rebuilt with -DREBUILT, look_up_at_start is 256 bytes longer: every function after it moves, and the
 * run's call site in keep_session_buffer falls inside look_up_at_start of the new file, the wrong
 * function a report that trusted the path would name (a new user's report, 2026-12). */
#include <leakscope/leakscope.h>
#include <stdlib.h>
#include <string.h>

void *kept[16]; /* not static: the stores stay, the blocks stay reachable */

__attribute__((noinline)) int look_up_at_start(int key) {
#ifdef REBUILT
    __asm__ volatile(".skip 256, 0x90"); /* 256 bytes of nop: the new build's version is longer */
#endif
    return key * 31 + 7;
}

__attribute__((noinline)) void keep_session_buffer(int cycle) {
    kept[cycle] = malloc(512);
    memset(kept[cycle], cycle, 512);
}

int main(void) {
    int sum = look_up_at_start(3);
    for (int cycle = 0; cycle < 8; ++cycle) {
        keep_session_buffer(cycle);
        leakscope_snapshot("cycle");
    }
    return sum == 100 ? 0 : 0;
}
