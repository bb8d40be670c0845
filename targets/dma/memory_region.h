/* Where a block of the board's memory lies. On the RP2350 with PSRAM, CircuitPython puts the VM heap in
 * PSRAM (adafruit/circuitpython abb3e9351b, PR 10240) and keeps what the DMA reads in SRAM: in this model,
 * as on the board, only SRAM is DMA-capable. */
#ifndef DMA_PORT_MEMORY_REGION_H
#define DMA_PORT_MEMORY_REGION_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum MemoryRegion { MEMORY_REGION_SRAM, MEMORY_REGION_PSRAM } MemoryRegion;

static inline bool memory_region_is_dma_capable(MemoryRegion region)
{
    return region == MEMORY_REGION_SRAM;
}

#ifdef __cplusplus
}
#endif

#endif
