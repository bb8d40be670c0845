// Leaks one block from a program built without debug info (-g0): its module has no DWARF and no debug
// file anywhere, the case in which libdw falls back to debuginfod (DebuginfodTest.cpp).
#include <stdlib.h>
#include <string.h>

void* volatile g_block;  // a store the compiler keeps; the block is lost once it is overwritten

__attribute__((noinline)) void leak_without_debug_info(void) {
    char* block = malloc(777);
    if (block) memset(block, 1, 777);
    g_block = block;
    g_block = NULL;
}

int main(void) {
    leak_without_debug_info();
    return 0;
}
