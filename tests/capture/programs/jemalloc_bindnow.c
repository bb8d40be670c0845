/* Linked -z now with -ljemalloc and jemalloc_bindnow_lib (also -z now): 12 cycles, each leaking
 * 80 B through mallocx in main_leak_mallocx, 64 B in the library's lib_leak_mallocx and 48 B in its
 * lib_leak_through_pointer, churning (and freeing) two mallocx blocks in the library. Writes one line
 * per cycle on stdout and one on stderr at the end: under the preload both must be byte-identical to a
 * plain run (no "Relink" line). Exits 3 when an allocation fails. */
#include <jemalloc/jemalloc.h>
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>

void lib_leak_mallocx(void);
void lib_leak_through_pointer(void);
int lib_churn(void);

static void* volatile sink;

__attribute__((noinline)) static void main_leak_mallocx(void) { sink = mallocx(80, 0); }

int main(void) {
    for (int cycle = 0; cycle < 12; ++cycle) {
        main_leak_mallocx();
        lib_leak_mallocx();
        lib_leak_through_pointer();
        if (!sink || !lib_churn()) return 3;
        leakscope_snapshot("cycle");
        printf("cycle %d\n", cycle);
    }
    fprintf(stderr, "jemalloc_bindnow: done\n");
    return 0;
}
