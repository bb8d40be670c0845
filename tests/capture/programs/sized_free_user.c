/* Linked with sized_free_lib: 12 cycles, each allocating with malloc and aligned_alloc and giving
 * both back through free_sized / free_aligned_sized. Nothing grows, nothing is a bad free. */
#include <leakscope/leakscope.h>
#include <stddef.h>
#include <stdlib.h>

void free_sized(void* pointer, size_t size);
void free_aligned_sized(void* pointer, size_t alignment, size_t size);

__attribute__((noinline)) static void allocate_and_release(void) {
    void* a = malloc(72);
    void* b = aligned_alloc(64, 192);
    if (!a || !b) exit(3);
    free_sized(a, 72);
    free_aligned_sized(b, 64, 192);
}

int main(void) {
    for (int cycle = 0; cycle < 12; ++cycle) {
        allocate_and_release();
        leakscope_snapshot("cycle");
    }
    return 0;
}
