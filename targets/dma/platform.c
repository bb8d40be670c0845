#include "platform.h"

#include <string.h>

#include "port_heap.h"
#include "vm_heap.h"

/* The sizes are this port's, chosen to reproduce the situation, not measured on boards.
 * RP2040: 264 KiB of SRAM, no PSRAM, most of the SRAM given to the VM heap; the port heap is what is left,
 * 16 KiB, and boot-time allocations fill it, then free every fourth block: 4 KiB free in 512-byte holes.
 * RP2350 with 8 MiB of PSRAM (as upstream since PR 10240): the VM heap lies in PSRAM, SRAM is the port
 * heap's; it gets 128 KiB, of which boot takes 32 KiB the same way, and the PSRAM the VM heap leaves serves
 * the port blocks that need not be DMA-capable. */
static const PlatformMemory rp2040_memory = {
    .vm_heap_bytes = 200 * 1024,
    .vm_heap_region = MEMORY_REGION_SRAM,
    .port_heap_bytes = 16 * 1024,
    .psram_port_bytes = 0,
    .earlier_block_bytes = 512,
    .earlier_blocks = 32,
    .earlier_freed_every = 4,
};

static const PlatformMemory rp2350_memory = {
    .vm_heap_bytes = 7 * 1024 * 1024,
    .vm_heap_region = MEMORY_REGION_PSRAM,
    .port_heap_bytes = 128 * 1024,
    .psram_port_bytes = 1024 * 1024,
    .earlier_block_bytes = 512,
    .earlier_blocks = 64,
    .earlier_freed_every = 4,
};

bool platform_parse(const char *name, Platform *out)
{
    if (strcmp(name, "rp2040") == 0) {
        *out = PLATFORM_RP2040;
        return true;
    }
    if (strcmp(name, "rp2350") == 0) {
        *out = PLATFORM_RP2350;
        return true;
    }
    return false;
}

const char *platform_name(Platform platform)
{
    return platform == PLATFORM_RP2040 ? "rp2040" : "rp2350";
}

const PlatformMemory *platform_memory(Platform platform)
{
    return platform == PLATFORM_RP2040 ? &rp2040_memory : &rp2350_memory;
}

/* Boot-time users of the port heap (USB, flash cache, the display...): a run of equal blocks, some of
 * them released again, all in SRAM (they are buffers hardware reads). What stays is owned by the port
 * heap until platform_deinit. */
static void take_boot_allocations(const PlatformMemory *memory)
{
    void *blocks[256] = { 0 };
    size_t count = memory->earlier_blocks < 256 ? memory->earlier_blocks : 256;
    for (size_t i = 0; i < count; i++) {
        blocks[i] = port_realloc(NULL, memory->earlier_block_bytes, true);
    }
    for (size_t i = memory->earlier_freed_every - 1; i < count; i += memory->earlier_freed_every) {
        port_free(blocks[i]);
    }
}

__attribute__((noinline)) void platform_init(Platform platform)
{
    const PlatformMemory *memory = platform_memory(platform);
    vm_heap_init(memory->vm_heap_bytes, memory->vm_heap_region);
    port_heap_init(memory->port_heap_bytes, memory->psram_port_bytes);
    take_boot_allocations(memory);
}

void platform_deinit(void)
{
    port_heap_deinit();
    vm_heap_deinit();
}

dma_buffer_heap_t dma_buffer_heap_for(Platform platform, DmaVariant variant)
{
    if (variant == DMA_VARIANT_BUGGY) {
        /* PR 10240 moved the RP2350's VM heap to PSRAM, and with it the DMA buffers to
         * port_realloc(..., dma_capable=true) so that they stay in SRAM: on every board. */
        return DMA_BUFFER_HEAP_PORT;
    }
    /* The fix (PR 10278): the RP2040 has no PSRAM, its VM heap is SRAM and DMA-capable, and its port heap
     * is too small: m_realloc again. The RP2350 keeps the port allocator, not for room but because its
     * VM heap is in PSRAM, which the DMA must not read. */
    return platform == PLATFORM_RP2040 ? DMA_BUFFER_HEAP_VM : DMA_BUFFER_HEAP_PORT;
}
