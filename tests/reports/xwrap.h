#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
struct xwrap_node {
    int value;
    struct xwrap_node *next;
};
void *xwrap_malloc(size_t size);
struct xwrap_node *xwrap_node_new(int value);
char *xwrap_label_new(const char *text);
void *xwrap_buffer_new(size_t size);
#ifdef __cplusplus
}
#endif
