/* A library that provides C23's free_sized / free_aligned_sized (glibc 2.36 has neither), releasing
 * through glibc's __libc_free: not through free(), so only a hook on free_sized itself sees the block
 * go (a missed one would read as a leak). */
#include <stddef.h>

void __libc_free(void* pointer);

void free_sized(void* pointer, size_t size) {
    (void)size;
    __libc_free(pointer);
}

void free_aligned_sized(void* pointer, size_t alignment, size_t size) {
    (void)alignment;
    (void)size;
    __libc_free(pointer);
}
