/* A library linked -z now and with -ljemalloc, as BIND 9's libisc: its mallocx/sdallocx slots are
 * bound before libleakscope is relocated, which made glibc print "Relink … for IFUNC symbol" while the
 * preload exported these names. lib_leak_mallocx leaks 64 B per call through a PLT call (JUMP_SLOT);
 * lib_leak_through_pointer 32 B through a function pointer initialised with mallocx's address (an
 * R_X86_64_64 data relocation) and 16 B through the address taken in code (GLOB_DAT); lib_churn gives
 * back what it takes through sdallocx and dallocx. */
#include <jemalloc/jemalloc.h>
#include <stddef.h>

static void* volatile sink;
void* (*volatile mallocx_address)(size_t, int) = mallocx;

__attribute__((noinline)) void lib_leak_mallocx(void) { sink = mallocx(64, 0); }

__attribute__((noinline)) void lib_leak_through_pointer(void) {
    sink = mallocx_address(32, 0);
    void* (*volatile taken)(size_t, int) = mallocx;
    sink = taken(16, 0);
}

__attribute__((noinline)) int lib_churn(void) {
    void* a = mallocx(200, MALLOCX_ZERO);
    void* b = mallocx(40, 0);
    if (!a || !b) return 0;
    sdallocx(a, 200, 0);
    dallocx(b, 0);
    return 1;
}
