/* The port allocator (port_realloc / port_free): a small heap outside the VM heap, first-fit.
 *
 * On the device it is a TLSF heap over whatever RAM the VM heap leaves; on the RP2040 that is little,
 * and earlier allocations fragment it. Here the arena is a range of offsets managed first-fit (so its
 * size and fragmentation decide, as on the device, whether a request fits), and each granted block is
 * backed by its own malloc so the tracker sees every port allocation with the stack that made it. */
#ifndef DMA_PORT_PORT_HEAP_H
#define DMA_PORT_PORT_HEAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks are rounded up to this, as TLSF's minimum alignment. */
#define PORT_HEAP_ALIGN 8

/* Most blocks the arena can hold at once (the descriptors are static: the heap itself never mallocs
 * metadata). */
#define PORT_HEAP_MAX_BLOCKS 256

/* An empty arena of `arena_bytes`. Any previous arena must have been deinitialised. */
void port_heap_init(size_t arena_bytes);

/* Frees every block still held and forgets the arena. */
void port_heap_deinit(void);

/* realloc semantics inside the arena: NULL when no gap is large enough (or malloc fails); the old block
 * is then untouched. */
void *port_realloc(void *ptr, size_t size);

/* Frees a block (NULL is ignored); a pointer the heap did not hand out is ignored too. */
void port_free(void *ptr);

size_t port_heap_free_bytes(void);
size_t port_heap_largest_free_block(void);
size_t port_heap_block_count(void);

#ifdef __cplusplus
}
#endif

#endif
