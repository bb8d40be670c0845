/* The port allocator (port_realloc / port_free): the heap outside the VM heap, first-fit.
 *
 * On the device it is a TLSF heap over whatever SRAM the VM heap leaves; on the RP2040 that is little,
 * and earlier allocations fragment it. Here the SRAM arena is a range of offsets managed first-fit (so its
 * size and fragmentation decide, as on the device, whether a request fits), and each granted block is
 * backed by its own malloc so the tracker sees every port allocation with the stack that made it.
 *
 * Since CircuitPython PR 10240 every request says whether the block must be DMA-capable. On a board with
 * PSRAM a request that need not be goes to a PSRAM heap (here a byte budget); a DMA-capable one, and
 * every request on a board without PSRAM, comes from the SRAM arena. */
#ifndef DMA_PORT_PORT_HEAP_H
#define DMA_PORT_PORT_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks are rounded up to this, as TLSF's minimum alignment. */
#define PORT_HEAP_ALIGN 8

/* Most blocks the arena can hold at once (the descriptors are static: the heap itself never mallocs
 * metadata). */
#define PORT_HEAP_MAX_BLOCKS 256

/* An empty SRAM arena of `arena_bytes`, and `psram_bytes` of PSRAM for requests that need not be
 * DMA-capable (0: no PSRAM). Any previous heap must have been deinitialised. */
void port_heap_init(size_t arena_bytes, size_t psram_bytes);

/* Frees every block still held and forgets the arena. */
void port_heap_deinit(void);

/* realloc semantics: NULL when no gap is large enough (or malloc fails); the old block is then
 * untouched. A new block (ptr NULL) comes from PSRAM when !dma_capable and the board has PSRAM, else from
 * the SRAM arena; an existing block is resized where it lies. */
void *port_realloc(void *ptr, size_t size, bool dma_capable);

/* Frees a block (NULL is ignored); a pointer the heap did not hand out is ignored too. */
void port_free(void *ptr);

/* True when ptr is a block of the SRAM arena (upstream's port_buffer_is_dma_capable). */
bool port_buffer_is_dma_capable(const void *ptr);

/* The SRAM arena: */
size_t port_heap_free_bytes(void);
size_t port_heap_largest_free_block(void);
size_t port_heap_block_count(void);
/* PSRAM bytes in use by port blocks. */
size_t port_heap_psram_used(void);

#ifdef __cplusplus
}
#endif

#endif
