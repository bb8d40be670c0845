// LEAKSCOPE_FAIL_ALLOC: makes chosen allocations fail (NULL, errno ENOMEM). The grammar (rules of
// function=NAME, above=BYTES, nth=N, every=N, limit=N) is faultspec/FaultSpec.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::preload::fault_injection {

// Parses the spec; a bad spec prints one warning line naming the problem and leaves injection off.
// Returns true when injection is active.
bool configure(const char* spec) noexcept;

// One relaxed load: false unless a valid spec was configured.
bool active() noexcept;

// Decides for one allocation request of `size` bytes with the given stack (frames of the allocating
// call, innermost first). Counts the request against nth/every/limit of every rule whose other conditions hold.
bool shouldFail(size_t size, const uint64_t* frames, uint16_t depth) noexcept;

// longjmp recovery (tracker/ThreadState.h): the lazy resolution's lock, when this thread owns it, is released.
void releaseLockOwnedHere() noexcept;

}  // namespace leakscope::preload::fault_injection
