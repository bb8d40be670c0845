// The work behind the allocation hooks: stack capture, fault injection, live-table bookkeeping and
// events. Every function here preserves errno, so the hook's caller sees exactly what the real
// allocator said.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::preload::memory {

// Before the real allocation, in a hook whose guard owns(): captures the caller's stack into
// *stack_id. Returns true when fault injection decided this request fails (the event is recorded;
// the hook then returns NULL/ENOMEM without calling the real allocator).
bool prepareAllocation(size_t size, uint32_t* stack_id) noexcept;

// After the real allocation returned `pointer` (NULL: a failed_allocation event is recorded).
void recordAllocation(void* pointer, size_t size, uint32_t stack_id) noexcept;

// An allocation made while the guard was already held (the tracker's own, libunwind's, dlsym's):
// kept in the table so that its free is recognised, never counted or reported.
void recordInternalAllocation(void* pointer, size_t size) noexcept;

// Before the real free: removes the block. An unknown pointer freed by the program (`owned`) is a
// bad_free event; the caller still calls the real free so the program behaves as without the tool.
void recordFree(void* pointer, bool owned) noexcept;

// The whole of realloc around the real call (the table must let go of the old block before the real
// realloc runs). `owned`: the hook's guard owns(). Sets errno ENOMEM and returns NULL for an
// injected failure.
void* reallocate(void* pointer, size_t size, bool owned, void* (*real_realloc)(void*, size_t)) noexcept;
// The same for jemalloc's rallocx: `flags` (alignment, zeroing, arena, tcache) reach the real call
// untouched.
void* reallocate(void* pointer, size_t size, bool owned, void* (*real_rallocx)(void*, size_t, int),
                 int flags) noexcept;
// jemalloc's xallocx around the real call: the block is resized in place or not at all, its address
// never changes. Returns what the real xallocx returned (the block's usable size afterwards). At least
// `size` means it was resized: the block is recorded at min(returned, size + extra), what the program
// asked for and got, with the resizing call's stack (as realloc in place records it). Less: unchanged.
size_t resizeInPlace(void* pointer, size_t size, size_t extra, bool owned,
                     size_t (*real_xallocx)(void*, size_t, size_t, int), int flags) noexcept;

// `leakscope attach`, with the live table just cleared (its counters and live-bytes peak with it): from
// now on a free or realloc of a pointer the table does not know is silent (it may be a block made
// before the attach), so bad frees are not judged while attached (docs/attach.md).
void beginAttachWindow() noexcept;

}  // namespace leakscope::preload::memory
