/* A shared library whose constructor runs before the preload's would without -z initfirst: it
 * allocates and opens an fd once (kept: not leaks), and ctorlib_leak_cycle() leaks 24 B per call. */
#include <fcntl.h>
#include <stdlib.h>

void *ctorlib_table;
int ctorlib_fd = -1;

__attribute__((noinline)) static void ctorlib_setup(void) {
    ctorlib_table = malloc(48);
    ctorlib_fd = open("/proc/version", O_RDONLY);
}

__attribute__((constructor)) static void ctorlib_constructor(void) { ctorlib_setup(); }

void *ctorlib_kept[64];
static int ctorlib_count;
__attribute__((noinline)) void ctorlib_leak_cycle(void) {
    if (ctorlib_count < 64) ctorlib_kept[ctorlib_count++] = malloc(24);
}
