// Where the reachability scan looks for pointers (its roots), and what it leaves out.
//
// Roots, as memcheck's and LeakSanitizer's: the writable PT_LOAD segments (data, bss) of every loaded
// module, the stacks of the threads and the static TLS. The heap is not a root (its blocks are reached
// or not), nor is the tool's own memory: the live table holds every block's address and would make
// everything reachable.
//
//   - Modules: dl_iterate_phdr, read by the snapshotting thread before the clone (the loader's lock may
//     not be taken in the clone); every module but the preload itself. Exact ranges.
//   - Stacks, from /proc/self/maps in the clone (same layout as the program at the clone): the main
//     thread's "[stack]", and each private writable anonymous mapping directly above an inaccessible
//     one (glibc's thread stacks sit above their guard page; their static TLS and thread descriptor are
//     at the top of the same mapping). The snapshotting thread's stack is scanned only from the frame
//     that entered the snapshot up (below it are the tool's own frames). The tool thread's stack is
//     left out. A candidate that holds a live block is a heap (glibc's per-thread arenas also sit next
//     to an inaccessible reserve), not a stack, and is left out.
//   - The mapping that holds the main thread's static TLS (allocated by the dynamic loader before any
//     malloc): found from the address of a TLS variable taken on the main thread at start.
//   - Excluded everywhere: the live table's arrays, the scan's own arrays.
// Not roots (documented in docs/analysis.md): memory the program mapped itself (mmap), registers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "reachability/ScanMemory.h"

namespace leakscope::preload::reachability {

inline constexpr size_t kMaxModuleRanges = 2048;
inline constexpr size_t kMaxExcludedRanges = 512;
inline constexpr size_t kMaxMappedRoots = 8192;

// Everything the clone needs that only the program's process can collect safely, gathered by the
// snapshotting thread before the clone (the clone sees a copy of it).
struct ScanPlan {
    AddressRange modules[kMaxModuleRanges];
    size_t module_count = 0;
    AddressRange excluded[kMaxExcludedRanges];  // the tool's memory, never scanned
    size_t excluded_count = 0;
    uint64_t stack_floor = 0;       // an address in the frame that entered the snapshot (0: unknown)
    uint64_t tool_stack = 0;        // an address on the tool thread's stack (0: no tool thread)
    uint64_t main_tls = 0;          // an address in the main thread's static TLS (0: unknown)
    uint64_t deadline_ns = 0;       // CLOCK_MONOTONIC when the scan must give up
};

// A root candidate from /proc/self/maps.
struct MappedRoot {
    AddressRange range;
    bool holds_floor;  // the snapshotting thread's stack: scanned from stack_floor up
};

// Snapshotting thread, before the table's locks are taken: the modules' writable segments.
// False when a fixed capacity was too small (the scan is then skipped rather than incomplete).
bool collectPlan(ScanPlan& plan) noexcept;
// Snapshotting thread, with every live-table shard lock held (so no shard can move its slots before the
// clone copies the address space): excludes the table's own memory. False when the ranges do not fit.
bool excludeLiveTableLocked(ScanPlan& plan) noexcept;
bool addExcluded(ScanPlan& plan, uint64_t begin, uint64_t end) noexcept;

// In the clone: the stack and TLS mappings (before the heap is known: readMappedRoots allocates
// nothing, so the scan's own arrays cannot be taken for a stack). Returns the number found, or -1
// when /proc/self/maps cannot be read or there are more than `capacity`.
long readMappedRoots(const ScanPlan& plan, MappedRoot* out, size_t capacity) noexcept;

// Calls scan(begin, end) for the parts of [begin, end) outside every excluded range; stops and
// returns false as soon as scan does.
template <typename Scan>
bool forEachIncludedPart(const ScanPlan& plan, uint64_t begin, uint64_t end, Scan scan) noexcept {
    uint64_t at = begin;
    while (at < end) {
        // The nearest excluded range that overlaps [at, end).
        uint64_t cut_begin = end, cut_end = end;
        for (size_t i = 0; i < plan.excluded_count; ++i) {
            const AddressRange& x = plan.excluded[i];
            if (x.end <= at || x.begin >= end) continue;
            const uint64_t b = x.begin > at ? x.begin : at;
            if (b < cut_begin) {
                cut_begin = b;
                cut_end = x.end < end ? x.end : end;
            }
        }
        if (cut_begin > at && !scan(at, cut_begin)) return false;
        at = cut_end;
    }
    return true;
}

}  // namespace leakscope::preload::reachability
