#include <stdlib.h>
void *plugin_kept;
__attribute__((noinline)) void plugin_allocate(void) { plugin_kept = malloc(64); }
