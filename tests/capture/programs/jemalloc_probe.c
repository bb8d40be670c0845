/* Not linked with jemalloc. Prints whether the process has jemalloc's extended API and C23's sized
 * frees (dlsym and a weak reference, which the preload must not change), then, with "leak", leaks
 * 40 B per cycle through malloc in leak_malloc for 12 cycles and, when jemalloc is there (it was put
 * in LD_PRELOAD), 24 B per cycle through mallocx (reached by dlsym) in leak_mallocx_found. */
#include <dlfcn.h>
#include <leakscope/leakscope.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void* mallocx(size_t size, int flags) __attribute__((weak));

static void* volatile sink;

__attribute__((noinline)) static void leak_malloc(void) { sink = malloc(40); }

__attribute__((noinline)) static void leak_mallocx_found(void* (*found)(size_t, int)) { sink = found(24, 0); }

int main(int argc, char** argv) {
    void* (*found)(size_t, int) = (void* (*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx");
    printf("dlsym mallocx: %s\n", found ? "present" : "absent");
    printf("weak mallocx: %s\n", mallocx ? "present" : "absent");
    printf("dlsym sdallocx: %s\n", dlsym(RTLD_DEFAULT, "sdallocx") ? "present" : "absent");
    printf("dlsym free_sized: %s\n", dlsym(RTLD_DEFAULT, "free_sized") ? "present" : "absent");
    printf("dlsym free_aligned_sized: %s\n", dlsym(RTLD_DEFAULT, "free_aligned_sized") ? "present" : "absent");
    printf("dlsym mallctl: %s\n", dlsym(RTLD_DEFAULT, "mallctl") ? "present" : "absent");
    if (argc > 1 && strcmp(argv[1], "leak") == 0) {
        for (int cycle = 0; cycle < 12; ++cycle) {
            leak_malloc();
            if (found) leak_mallocx_found(found);
            leakscope_snapshot("cycle");
        }
    }
    return 0;
}
