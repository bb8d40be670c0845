/* The two boards and how their RAM is split between the VM heap and the port heap, and the choice of
 * heap for the DMA buffers: the line the original bug and its fix are about. */
#ifndef DMA_PORT_PLATFORM_H
#define DMA_PORT_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "audio_dma.h"
#include "memory_region.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum Platform { PLATFORM_RP2040, PLATFORM_RP2350 } Platform;

typedef enum DmaVariant {
    DMA_VARIANT_BUGGY, /* the port heap, DMA-capable, on every board (PR 10240, made for the RP2350) */
    DMA_VARIANT_FIXED  /* the VM heap on the RP2040, the port heap on the RP2350 (PR 10278, the fix) */
} DmaVariant;

typedef struct PlatformMemory {
    size_t vm_heap_bytes;        /* the VM heap's budget */
    MemoryRegion vm_heap_region; /* where the VM heap lies */
    size_t port_heap_bytes;      /* the port heap's SRAM arena */
    size_t psram_port_bytes;     /* PSRAM for port blocks that need not be DMA-capable (0: no PSRAM) */
    size_t earlier_block_bytes; /* size of each allocation other firmware made in the port heap at boot */
    size_t earlier_blocks;      /* how many it made */
    size_t earlier_freed_every; /* every n-th of them was freed again, leaving holes of one block */
} PlatformMemory;

/* Parses "rp2040" / "rp2350"; false for anything else. */
bool platform_parse(const char *name, Platform *out);
const char *platform_name(Platform platform);

const PlatformMemory *platform_memory(Platform platform);

/* Sets up both heaps as the board has them when user code starts: the VM heap's budget, and the port
 * heap with the boot-time allocations of other firmware parts (kept until platform_deinit), which on
 * the RP2040 leave it small and fragmented. */
void platform_init(Platform platform);
void platform_deinit(void);

/* The heap the DMA buffers come from for this board and variant. */
dma_buffer_heap_t dma_buffer_heap_for(Platform platform, DmaVariant variant);

#ifdef __cplusplus
}
#endif

#endif
