#include "vm_heap.h"

#include <stdlib.h>

/* One VM heap per process, as on the device. */
static size_t vm_capacity;
static size_t vm_used;
static MemoryRegion vm_region;

void vm_heap_init(size_t capacity_bytes, MemoryRegion region)
{
    vm_capacity = capacity_bytes;
    vm_used = 0;
    vm_region = region;
}

void vm_heap_deinit(void)
{
    vm_capacity = 0;
    vm_used = 0;
}

__attribute__((noinline)) void *m_realloc(void *ptr, size_t old_size, size_t new_size)
{
    if (ptr == NULL) {
        old_size = 0;
    }
    if (new_size == 0) {
        m_free(ptr, old_size);
        return NULL;
    }
    if (vm_used - old_size + new_size > vm_capacity) {
        return NULL;
    }
    void *grown = realloc(ptr, new_size);
    if (grown == NULL) {
        return NULL;
    }
    vm_used = vm_used - old_size + new_size;
    return grown;
}

__attribute__((noinline)) void m_free(void *ptr, size_t size)
{
    if (ptr == NULL) {
        return;
    }
    free(ptr);
    vm_used -= size <= vm_used ? size : vm_used;
}

size_t vm_heap_used(void)
{
    return vm_used;
}

size_t vm_heap_capacity(void)
{
    return vm_capacity;
}

MemoryRegion vm_heap_region(void)
{
    return vm_region;
}
