/* The MicroPython VM heap allocator (m_realloc / m_free), modelled as a byte budget over malloc.
 *
 * On the device the VM heap is the big GC heap that takes most of the RAM; here it is a capacity that
 * m_realloc refuses to exceed, each block being its own malloc so the tracker sees it with its stack.
 * As with MICROPY_MALLOC_USES_ALLOCATED_SIZE, callers pass the old size back. The heap lies in one memory
 * region: SRAM on the RP2040, PSRAM on an RP2350 board with PSRAM. */
#ifndef DMA_PORT_VM_HEAP_H
#define DMA_PORT_VM_HEAP_H

#include <stddef.h>

#include "memory_region.h"

#ifdef __cplusplus
extern "C" {
#endif

void vm_heap_init(size_t capacity_bytes, MemoryRegion region);

/* Frees nothing: blocks belong to their owners; resets the budget. */
void vm_heap_deinit(void);

/* Grows, shrinks, allocates (ptr NULL) a block. NULL when the budget or malloc would be exceeded; the old
 * block is then untouched, as with realloc. */
void *m_realloc(void *ptr, size_t old_size, size_t new_size);

/* Frees a block of `size` bytes (NULL is ignored). */
void m_free(void *ptr, size_t size);

size_t vm_heap_used(void);
size_t vm_heap_capacity(void);
/* The region every block of the VM heap lies in. */
MemoryRegion vm_heap_region(void);

#ifdef __cplusplus
}
#endif

#endif
