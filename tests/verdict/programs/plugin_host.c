/* Every cycle: dlopen the plugin (argv[1]), keep one record it makes, dlclose it (it really unloads), and
 * map a page at its old base so the next load lands at another address (16_dlclose_plugin_reloaded.c's
 * `move` kind). Usage: verdict_plugin_host PLUGIN.so [CYCLES] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "leakscope/leakscope.h"

void *records[64];

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int cycles = argc > 2 ? atoi(argv[2]) : 12;
    if (cycles < 1 || cycles > 64) return 2;
    void *previous = NULL;
    int moved = 0;
    for (int i = 0; i < cycles; ++i) {
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            printf("dlopen: %s\n", dlerror());
            return 1;
        }
        void *(*make)(int) = (void *(*)(int))dlsym(h, "plugin_make_record");
        Dl_info info;
        if (!make || !dladdr((void *)make, &info)) return 1;
        if ((void *)make != previous) moved++;
        previous = (void *)make;
        records[i] = make(i);
        dlclose(h);
        mmap(info.dli_fbase, 0x1000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        leakscope_snapshot("cycle");
    }
    printf("plugin code address changed %d times in %d loads\n", moved, cycles);
    for (int i = 0; i < cycles; ++i) free(records[i]);
    return 0;
}
