/* A C program (no libstdc++ of its own) that dlopens the C++ module argv[1] with RTLD_LOCAL and calls
 * its module_leak once per cycle, 12 cycles. Exits 3 when the module cannot be loaded. */
#include <dlfcn.h>
#include <leakscope/leakscope.h>
#include <stdio.h>

int main(int argc, char** argv) {
    void* module = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!module) {
        fprintf(stderr, "cxx_module_host: %s\n", argc > 1 ? dlerror() : "usage: cxx_module_host MODULE");
        return 3;
    }
    int (*module_leak)(void) = (int (*)(void))dlsym(module, "module_leak");
    if (!module_leak) return 3;
    for (int cycle = 0; cycle < 12; ++cycle) {
        printf("cycle %d: %d\n", cycle, module_leak());
        leakscope_snapshot("cycle");
    }
    return 0;
}
