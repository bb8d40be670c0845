/* A small library with its own allocation wrapper, as many C libraries have (xmalloc, g_malloc,
 * CRYPTO_malloc): every allocation of the library goes through xwrap_malloc. */
#include "xwrap.h"

#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *xwrap_malloc(size_t size) {
    void *p = malloc(size);
    if (!p) abort();
    return p;
}

__attribute__((noinline)) struct xwrap_node *xwrap_node_new(int value) {
    struct xwrap_node *node = xwrap_malloc(sizeof *node);
    node->value = value;
    node->next = NULL;
    return node;
}

__attribute__((noinline)) char *xwrap_label_new(const char *text) {
    char *label = xwrap_malloc(strlen(text) + 1);
    strcpy(label, text);
    return label;
}

__attribute__((noinline)) void *xwrap_buffer_new(size_t size) { return memset(xwrap_malloc(size), 0, size); }
