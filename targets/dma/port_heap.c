#include "port_heap.h"

#include <stdlib.h>
#include <string.h>

typedef struct PortBlock {
    size_t offset; /* where the block lies in the arena */
    size_t size;   /* rounded to PORT_HEAP_ALIGN */
    void *storage; /* the malloc that backs it */
} PortBlock;

/* One port heap per process, as on the device. Blocks are kept sorted by offset, so the gaps between
 * neighbours are the free list and first fit is one walk. */
static size_t arena_size;
static PortBlock blocks[PORT_HEAP_MAX_BLOCKS];
static size_t block_count;

/* PSRAM blocks: no placement to model, only the budget (offset unused). */
static size_t psram_size;
static size_t psram_used;
static PortBlock psram_blocks[PORT_HEAP_MAX_BLOCKS];
static size_t psram_block_count;

static size_t round_up(size_t size)
{
    return (size + PORT_HEAP_ALIGN - 1) / PORT_HEAP_ALIGN * PORT_HEAP_ALIGN;
}

static size_t gap_before(size_t index)
{
    size_t start = index == 0 ? 0 : blocks[index - 1].offset + blocks[index - 1].size;
    size_t end = index == block_count ? arena_size : blocks[index].offset;
    return end - start;
}

static size_t find_block(const void *storage)
{
    for (size_t i = 0; i < block_count; i++) {
        if (blocks[i].storage == storage) {
            return i;
        }
    }
    return block_count;
}

static void remove_block(size_t index)
{
    memmove(&blocks[index], &blocks[index + 1], (block_count - index - 1) * sizeof(PortBlock));
    block_count--;
}

void port_heap_init(size_t arena_bytes, size_t psram_bytes)
{
    arena_size = arena_bytes;
    block_count = 0;
    psram_size = psram_bytes;
    psram_used = 0;
    psram_block_count = 0;
}

void port_heap_deinit(void)
{
    for (size_t i = 0; i < block_count; i++) {
        free(blocks[i].storage);
    }
    for (size_t i = 0; i < psram_block_count; i++) {
        free(psram_blocks[i].storage);
    }
    block_count = 0;
    arena_size = 0;
    psram_block_count = 0;
    psram_used = 0;
    psram_size = 0;
}

static size_t find_psram_block(const void *storage)
{
    for (size_t i = 0; i < psram_block_count; i++) {
        if (psram_blocks[i].storage == storage) {
            return i;
        }
    }
    return psram_block_count;
}

/* A PSRAM block grown, shrunk or made (index == psram_block_count) within the budget. */
static void *psram_realloc(size_t index, size_t size)
{
    bool is_new = index == psram_block_count;
    size_t old_size = is_new ? 0 : psram_blocks[index].size;
    if ((is_new && psram_block_count == PORT_HEAP_MAX_BLOCKS) || psram_used - old_size + size > psram_size) {
        return NULL;
    }
    void *storage = realloc(is_new ? NULL : psram_blocks[index].storage, size);
    if (storage == NULL) {
        return NULL;
    }
    if (is_new) {
        psram_block_count++;
    }
    psram_blocks[index] = (PortBlock) { .offset = 0, .size = size, .storage = storage };
    psram_used = psram_used - old_size + size;
    return storage;
}

/* First fit: the lowest gap that holds `size`. */
static void *port_alloc(size_t size)
{
    if (block_count == PORT_HEAP_MAX_BLOCKS) {
        return NULL;
    }
    for (size_t index = 0; index <= block_count; index++) {
        if (gap_before(index) < size) {
            continue;
        }
        void *storage = malloc(size);
        if (storage == NULL) {
            return NULL;
        }
        size_t offset = index == 0 ? 0 : blocks[index - 1].offset + blocks[index - 1].size;
        memmove(&blocks[index + 1], &blocks[index], (block_count - index) * sizeof(PortBlock));
        blocks[index] = (PortBlock) { .offset = offset, .size = size, .storage = storage };
        block_count++;
        return storage;
    }
    return NULL;
}

__attribute__((noinline)) void *port_realloc(void *ptr, size_t size, bool dma_capable)
{
    if (ptr == NULL) {
        if (size == 0) {
            return NULL;
        }
        return !dma_capable && psram_size > 0 ? psram_realloc(psram_block_count, round_up(size))
                                              : port_alloc(round_up(size));
    }
    size_t psram_index = find_psram_block(ptr);
    if (psram_index < psram_block_count) {
        if (size == 0) {
            port_free(ptr);
            return NULL;
        }
        return psram_realloc(psram_index, round_up(size));
    }
    size_t index = find_block(ptr);
    if (index == block_count) {
        return NULL;
    }
    if (size == 0) {
        port_free(ptr);
        return NULL;
    }
    size = round_up(size);
    PortBlock *block = &blocks[index];
    /* In place when the block and the gap after it hold the new size, as TLSF merges with a free
     * neighbour. */
    if (size <= block->size + gap_before(index + 1)) {
        void *resized = realloc(block->storage, size);
        if (resized == NULL) {
            return NULL;
        }
        block->storage = resized;
        block->size = size;
        return resized;
    }
    size_t old_size = block->size;
    void *moved = port_alloc(size); /* stays in SRAM: a DMA-capable block remains one */
    if (moved == NULL) {
        return NULL;
    }
    memcpy(moved, ptr, old_size);
    port_free(ptr);
    return moved;
}

__attribute__((noinline)) void port_free(void *ptr)
{
    size_t psram_index = find_psram_block(ptr);
    if (ptr != NULL && psram_index < psram_block_count) {
        free(ptr);
        psram_used -= psram_blocks[psram_index].size;
        psram_blocks[psram_index] = psram_blocks[--psram_block_count];
        return;
    }
    size_t index = find_block(ptr);
    if (ptr == NULL || index == block_count) {
        return;
    }
    free(blocks[index].storage);
    remove_block(index);
}

size_t port_heap_free_bytes(void)
{
    size_t free_bytes = 0;
    for (size_t index = 0; index <= block_count; index++) {
        free_bytes += gap_before(index);
    }
    return free_bytes;
}

size_t port_heap_largest_free_block(void)
{
    size_t largest = 0;
    for (size_t index = 0; index <= block_count; index++) {
        size_t gap = gap_before(index);
        largest = gap > largest ? gap : largest;
    }
    return largest;
}

size_t port_heap_block_count(void)
{
    return block_count;
}

size_t port_heap_psram_used(void)
{
    return psram_used;
}

bool port_buffer_is_dma_capable(const void *ptr)
{
    return ptr != NULL && find_block(ptr) < block_count;
}
