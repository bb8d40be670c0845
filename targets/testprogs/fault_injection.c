/* Allocates argv[1] (default 10) buffers of 4096 bytes from audio_buffer_allocate() and one of
 * 2 MiB from large_buffer_allocate(); prints which allocations failed and the errno they set. Used
 * with LEAKSCOPE_FAIL_ALLOC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void* g_buffers[64];
void* g_large;

__attribute__((noinline, visibility("default"))) void* audio_buffer_allocate(size_t size) {
    void* buffer = malloc(size);
    __asm__ volatile("" : : "r"(buffer) : "memory"); /* not a tail call: this frame stays on the stack */
    return buffer;
}

__attribute__((noinline, visibility("default"))) void* large_buffer_allocate(void) {
    void* buffer = malloc(2u << 20);
    __asm__ volatile("" : : "r"(buffer) : "memory");
    return buffer;
}

int main(int argc, char** argv) {
    int count = argc > 1 ? atoi(argv[1]) : 10;
    if (count < 1 || count > 64) count = 10;
    printf("failed:");
    for (int i = 0; i < count; ++i) {
        errno = 0;
        g_buffers[i] = audio_buffer_allocate(4096);
        if (!g_buffers[i]) printf(" %d%s", i + 1, errno == ENOMEM ? "" : "(errno not ENOMEM)");
    }
    errno = 0;
    g_large = large_buffer_allocate();
    if (!g_large) printf(" large%s", errno == ENOMEM ? "" : "(errno not ENOMEM)");
    printf("\n");
    return 0;
}
