/* Allocates (and calls dlsym/dlopen, which allocate) in a constructor before main, then checks the
 * blocks in main. The block from the constructor stays live so a test can find its stack. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* g_early_block;
static void* g_early_symbol;

__attribute__((noinline, visibility("default"))) void early_constructor_allocate(void) {
    g_early_block = malloc(333);
    if (g_early_block) strcpy(g_early_block, "allocated before main");
}

__attribute__((constructor)) static void allocateBeforeMain(void) {
    early_constructor_allocate();
    void* zeroed = calloc(10, 10);
    free(zeroed);
    g_early_symbol = dlsym(RTLD_DEFAULT, "printf");
    void* library = dlopen("libm.so.6", RTLD_NOW);
    if (library) dlclose(library);
}

int main(void) {
    int ok = g_early_block && strcmp(g_early_block, "allocated before main") == 0 && g_early_symbol != NULL;
    printf("constructor block: %s\n", ok ? "ok" : "BROKEN");
    return ok ? 0 : 1;
}
