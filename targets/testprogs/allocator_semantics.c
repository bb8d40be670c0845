/* Checks the guarantees of every interposed allocation function: alignment, zeroing, content kept by
 * realloc, the edge cases (realloc(NULL, n), realloc(p, 0), free(NULL), overflow, bad alignment) and
 * errno. Prints one line per check; exits 1 if any failed. Run with and without the preload, the
 * output must be identical. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_failures;
/* Impossible sizes, volatile so the compiler cannot see (and warn about) what the checks do on purpose. */
static volatile size_t g_impossible = SIZE_MAX - 4096;
static volatile size_t g_half_max = SIZE_MAX / 2;

static void check(const char* what, int ok) {
    printf("%-44s %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) ++g_failures;
}

static int aligned(const void* pointer, size_t alignment) { return ((uintptr_t)pointer % alignment) == 0; }

static int allZero(const unsigned char* bytes, size_t size) {
    for (size_t i = 0; i < size; ++i)
        if (bytes[i]) return 0;
    return 1;
}

static void checkCalloc(void) {
    /* Dirty some memory first so that a calloc reusing it must really zero it. */
    for (int round = 0; round < 8; ++round) {
        unsigned char* dirty = malloc(4096);
        memset(dirty, 0xAB, 4096);
        free(dirty);
        unsigned char* clean = calloc(1024, 4);
        check("calloc zeroes reused memory", clean && allZero(clean, 4096) && aligned(clean, 16));
        free(clean);
    }
    errno = 0;
    void* overflow = calloc(g_half_max, 4);
    check("calloc overflow -> NULL, ENOMEM", overflow == NULL && errno == ENOMEM);
}

static void checkRealloc(void) {
    char* block = realloc(NULL, 100);
    check("realloc(NULL, n) allocates", block != NULL && aligned(block, 16));
    memset(block, 'x', 100);
    block = realloc(block, 100000);
    int kept = block != NULL;
    for (int i = 0; kept && i < 100; ++i) kept = block[i] == 'x';
    check("realloc grow keeps contents", kept);
    block = realloc(block, 10);
    check("realloc shrink keeps contents", block && block[0] == 'x' && block[9] == 'x');
    errno = 0;
    /* A failed realloc leaves the block valid: reading it afterwards is the point of the check. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
    void* huge = realloc(block, g_impossible);
    check("realloc too large -> NULL, ENOMEM, block kept", huge == NULL && errno == ENOMEM && block[5] == 'x');
    void* zero = realloc(block, 0);
#pragma GCC diagnostic pop
    check("realloc(p, 0) frees and returns NULL", zero == NULL);
    errno = 0;
    void* overflow = reallocarray(NULL, g_half_max, 4);
    check("reallocarray overflow -> NULL, ENOMEM", overflow == NULL && errno == ENOMEM);
    int* array = reallocarray(NULL, 10, sizeof(int));
    for (int i = 0; array && i < 10; ++i) array[i] = i;
    array = reallocarray(array, 1000, sizeof(int));
    check("reallocarray grows and keeps contents", array && array[9] == 9);
    free(array);
}

static void checkAligned(void) {
    for (size_t alignment = sizeof(void*); alignment <= 65536; alignment *= 4) {
        void* pointer = NULL;
        int status = posix_memalign(&pointer, alignment, 100);
        char what[64];
        snprintf(what, sizeof(what), "posix_memalign %zu", alignment);
        check(what, status == 0 && aligned(pointer, alignment));
        free(pointer);
        snprintf(what, sizeof(what), "aligned_alloc %zu", alignment);
        pointer = aligned_alloc(alignment, alignment * 2);
        check(what, pointer && aligned(pointer, alignment));
        free(pointer);
        snprintf(what, sizeof(what), "memalign %zu", alignment);
        pointer = memalign(alignment, 100);
        check(what, pointer && aligned(pointer, alignment));
        free(pointer);
    }
    void* untouched = (void*)0x1;
    check("posix_memalign bad alignment -> EINVAL", posix_memalign(&untouched, 3, 100) == EINVAL &&
                                                        untouched == (void*)0x1);
    long page = sysconf(_SC_PAGESIZE);
    void* page_block = valloc(10);
    check("valloc page aligned", page_block && aligned(page_block, (size_t)page));
    free(page_block);
    page_block = pvalloc(10);
    check("pvalloc page aligned, whole page usable",
          page_block && aligned(page_block, (size_t)page) && malloc_usable_size(page_block) >= (size_t)page);
    free(page_block);
}

static void checkMallocAndErrno(void) {
    for (size_t size = 1; size <= (1u << 20); size *= 3) {
        void* block = malloc(size);
        int ok = block && aligned(block, 16) && malloc_usable_size(block) >= size;
        free(block);
        if (!ok) {
            check("malloc size/alignment", 0);
            return;
        }
    }
    check("malloc 16-byte aligned, usable size >= request", 1);
    errno = 12345;
    void* block = malloc(10);
    free(block);
    free(NULL);
    check("successful malloc/free leave errno alone", errno == 12345);
    errno = 0;
    void* huge = malloc(g_impossible);
    check("malloc too large -> NULL, ENOMEM", huge == NULL && errno == ENOMEM);
    check("malloc_usable_size(NULL) == 0", malloc_usable_size(NULL) == 0);
}

int main(void) {
    checkMallocAndErrno();
    checkCalloc();
    checkRealloc();
    checkAligned();
    printf("%d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
