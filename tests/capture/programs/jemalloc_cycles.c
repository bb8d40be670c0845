/* Linked with -ljemalloc: allocates through jemalloc's extended API for 12 cycles.
 *   mallocx_leak  leak_mallocx leaks one mallocx(96) block per cycle; other blocks of the cycle are
 *                 freed by free(), sdallocx and dallocx (none of them is a bad free).
 *   fixed         the same blocks, every one given back (sdallocx, dallocx, free; flags included).
 *   rallocx       leak_rallocx: mallocx(32) resized by rallocx to 200 B, leaked (200 B/cycle);
 *                 grow_rallocx: one block grown by 64 B per cycle through rallocx (64 B/cycle).
 *   xallocx       leak_xallocx: mallocx(100) resized in place by xallocx to 110 B (same size class),
 *                 leaked (110 B/cycle); leak_xallocx_failed: mallocx(48) whose in-place growth to
 *                 1 MiB fails (still 48 B, 48 B/cycle).
 * Exits 3 when jemalloc answers something else than assumed above (the test then fails, loudly). */
#include <jemalloc/jemalloc.h>
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void* volatile sink;

static void expect(int ok, const char* what) {
    if (!ok) {
        fprintf(stderr, "jemalloc_cycles: unexpected: %s\n", what);
        exit(3);
    }
}

static void churn(void) {
    void* a = mallocx(40, MALLOCX_ZERO);
    void* b = mallocx(128, MALLOCX_ALIGN(64));
    void* c = mallocx(24, 0);
    void* d = malloc(56);
    expect(a && b && c && d, "an allocation failed");
    expect(((unsigned long)b & 63) == 0, "MALLOCX_ALIGN(64) not honoured");
    free(a);                              /* free() of a mallocx block is valid under jemalloc */
    sdallocx(b, 128, MALLOCX_ALIGN(64));  /* sized, with the allocation's flags */
    dallocx(c, 0);
    dallocx(d, 0);                        /* dallocx of a malloc block is valid too */
}

__attribute__((noinline)) static void leak_mallocx(void) { sink = mallocx(96, 0); }

__attribute__((noinline)) static void leak_rallocx(void) {
    void* p = mallocx(32, 0);
    expect(p != NULL, "mallocx(32) failed");
    sink = rallocx(p, 200, 0);
    expect(sink != NULL, "rallocx to 200 failed");
}

static void* grown;
__attribute__((noinline)) static void grow_rallocx(int cycle) {
    grown = rallocx(grown, 64 * (size_t)(cycle + 1), 0);
    expect(grown != NULL, "rallocx growth failed");
}

__attribute__((noinline)) static void leak_xallocx(void) {
    void* p = mallocx(100, 0);
    expect(p != NULL, "mallocx(100) failed");
    expect(xallocx(p, 110, 0, 0) >= 110, "xallocx within the size class failed");
    sink = p;
}

__attribute__((noinline)) static void leak_xallocx_failed(void) {
    void* p = mallocx(48, 0);
    expect(p != NULL, "mallocx(48) failed");
    expect(xallocx(p, 1 << 20, 0, 0) < (1 << 20), "xallocx of a small block to 1 MiB succeeded");
    sink = p;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "rallocx") == 0) grown = mallocx(64, 0);
    for (int cycle = 0; cycle < 12; ++cycle) {
        if (strcmp(mode, "mallocx_leak") == 0) {
            churn();
            leak_mallocx();
        } else if (strcmp(mode, "fixed") == 0) {
            churn();
        } else if (strcmp(mode, "rallocx") == 0) {
            leak_rallocx();
            grow_rallocx(cycle);
        } else if (strcmp(mode, "xallocx") == 0) {
            leak_xallocx();
            leak_xallocx_failed();
        } else {
            fprintf(stderr, "usage: jemalloc_cycles mallocx_leak|fixed|rallocx|xallocx\n");
            return 2;
        }
        leakscope_snapshot("cycle");
    }
    if (grown) dallocx(grown, 0);
    return 0;
}
