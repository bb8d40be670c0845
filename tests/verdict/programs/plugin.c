/* The plugin of verdict_plugin_host: one 64-byte record per call, kept by the host. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *plugin_make_record(int i) {
    char *r = malloc(64);
    memset(r, i, 64);
    return r;
}
