/* Defines mallocx itself (a program with its own allocator under jemalloc's name) and is linked with
 * jemalloc_bindnow_lib, whose references to mallocx bind to this definition, ahead of libjemalloc's.
 * The preload must leave that choice alone: the program counts the calls its mallocx received and
 * prints the count, which must be the plain run's. */
#include <leakscope/leakscope.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void lib_leak_mallocx(void);
void lib_leak_through_pointer(void);

static int own_calls;

void* mallocx(size_t size, int flags) {
    (void)flags;
    ++own_calls;
    return malloc(size);
}

int main(void) {
    for (int cycle = 0; cycle < 6; ++cycle) {
        lib_leak_mallocx();
        lib_leak_through_pointer();
        leakscope_snapshot("cycle");
    }
    printf("own mallocx calls: %d\n", own_calls);
    return own_calls == 18 ? 0 : 3;
}
