// The fast stack walk behind unwinder::capture(): a per-pc cache of the one thing a walk needs from
// DWARF call-frame information on x86-64 - how to find the caller's CFA (rsp + k, or rbp + k where the
// function keeps a frame pointer), where rbp was saved, and that the return address sits at CFA - 8.
// A rule is parsed once from the module's .eh_frame_hdr/.eh_frame (the same tables libgcc and
// libunwind use) and every later walk through that pc costs a hash, two loads and an add. So frames
// with frame pointers are walked through rbp and frames without them through their DWARF CFA,
// exactly where the CFI says so; nothing is guessed.
//
// Anything the cache cannot express (CFA expressions as in PLT stubs, signal trampolines, rbp or the
// return address in another register, a pc without an FDE such as JIT code) makes walk() return -1,
// and the caller repeats the whole capture with libgcc's unwinder: stacks stay complete, only slower there.
#pragma once

#include <cstdint>

#include "unwind/WalkLimits.h"

namespace leakscope::preload::cfi_walker {

// Maps the rule cache. Cold path (the unwinder's initialisation); false when mmap failed.
bool initialise() noexcept;

// Walks the calling thread's stack from inside walk() itself (its own frame is frames[0]), writing pcs
// (return addresses for the callers), innermost first, up to `limits` (WalkLimits.h: at most
// limits.beyond_own frames after the leading frames in the preload's own range, isOwnCode(), never
// more than limits.capacity). Returns how many it wrote, or -1 when some frame needs the full
// unwinder. *unchanged is set when the pcs are exactly those of this thread's previous walk with the
// same limits; frames[] may then be left unwritten (the count is still returned). The own range must
// not change between walks: it is set once, before the unwinder is ready.
int walk(uint64_t* frames, unwinder::WalkLimits limits, bool* unchanged) noexcept;

// After dlclose: rules of unmapped code must not be applied to whatever is mapped there next.
void forgetUnloadedCode() noexcept;

// fork(): the cache writer lock, in the tracker's fixed lock order.
// longjmp recovery (tracker/ThreadState.h): the rule cache's lock, when this thread owns it, is released
// and this thread's walk memo, possibly half-written, is dropped.
void forgetThreadState() noexcept;

void lockForFork() noexcept;
void unlockAfterFork() noexcept;

}  // namespace leakscope::preload::cfi_walker
