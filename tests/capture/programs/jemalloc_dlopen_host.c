/* Not linked with jemalloc: dlopens LIBRARY (argv[1], a path; jemalloc_bindnow_lib, which needs
 * libjemalloc) with RTLD_GLOBAL, so jemalloc's extended API appears only then. 12 cycles: the
 * library's lib_leak_mallocx (64 B) and lib_leak_through_pointer (48 B), its churn, and 24 B through
 * the mallocx that dlsym(RTLD_DEFAULT) now finds (leak_mallocx_found). Exits 3 on a failure. */
#include <dlfcn.h>
#include <leakscope/leakscope.h>
#include <stddef.h>
#include <stdio.h>

static void* volatile sink;

__attribute__((noinline)) static void leak_mallocx_found(void* (*found)(size_t, int)) { sink = found(24, 0); }

int main(int argc, char** argv) {
    printf("before: dlsym mallocx %s\n", dlsym(RTLD_DEFAULT, "mallocx") ? "present" : "absent");
    void* library = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) : NULL;
    if (!library) {
        fprintf(stderr, "jemalloc_dlopen_host: %s\n", dlerror());
        return 3;
    }
    void (*leak)(void) = (void (*)(void))dlsym(library, "lib_leak_mallocx");
    void (*leak_pointer)(void) = (void (*)(void))dlsym(library, "lib_leak_through_pointer");
    int (*churn)(void) = (int (*)(void))dlsym(library, "lib_churn");
    void* (*found)(size_t, int) = (void* (*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx");
    printf("after: dlsym mallocx %s\n", found ? "present" : "absent");
    if (!leak || !leak_pointer || !churn || !found) return 3;
    for (int cycle = 0; cycle < 12; ++cycle) {
        leak();
        leak_pointer();
        leak_mallocx_found(found);
        if (!sink || !churn()) return 3;
        leakscope_snapshot("cycle");
    }
    return 0;
}
