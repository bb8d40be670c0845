// The stack table ("stack depot"): deduplicates captured stacks and hands out 32-bit ids (> 0).
// Records live in one mmap'd arena that never moves, so a published record can be read without a
// lock; the index is 16 shards of open-addressing (hash, id) pairs behind spin locks, and each thread
// keeps a small cache of the stacks it interned last, so a hot allocation site costs one hash and one
// memcmp, no lock.
#pragma once

#include <cstddef>
#include <cstdint>

namespace leakscope::preload::stack_table {

bool initialise() noexcept;

// Returns the id of this stack, adding it when new; 0 when the table is full.
uint32_t intern(const uint64_t* frames, uint16_t depth, uint16_t flags) noexcept;

// Ids are 1..count(), dense. get() fails only for ids not (yet) published.
uint32_t count() noexcept;
bool get(uint32_t id, const uint64_t** frames, uint16_t* depth, uint16_t* flags) noexcept;
// Captures that could not be stored (arena or id space exhausted).
uint64_t fullCount() noexcept;

// longjmp recovery (tracker/ThreadState.h): the index locks this thread owns are released and its
// stack cache, possibly half-written, is emptied.
void forgetThreadState() noexcept;

void lockAllForFork() noexcept;
void unlockAllAfterFork() noexcept;

}  // namespace leakscope::preload::stack_table
