// The scan's two sides: the snapshotting thread (plan, clone, wait) and the clone (enumerate, index,
// mark, classify). See ReachabilityScan.h for the design and its contract with the program.
#include "reachability/ReachabilityScan.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <new>

#include "reachability/AddressOrder.h"
#include "reachability/BlockIndex.h"
#include "reachability/Marker.h"
#include "reachability/Roots.h"
#include "reachability/ScanMemory.h"
#include "lifecycle/Log.h"
#include "lifecycle/TrackerFds.h"
#include "tables/LiveTable.h"
#include "tracker/ClockNs.h"

namespace leakscope::preload::reachability {
namespace {

thread_local char tTlsMarker __attribute__((tls_model("initial-exec")));
std::atomic<uint64_t> gMainTls{0};
std::atomic<uint64_t> gToolStack{0};

// The head of the memory shared with the clone; records and classes follow it.
struct SharedResult {
    uint64_t capacity;  // records that fit
    uint64_t count;     // records written by the clone
    uint64_t outcome;   // snapshot::ReachabilityStatus the clone reached
    // When the clone started, had the blocks in address order, indexed, marked: CLOCK_MONOTONIC and
    // the clone's CPU time (CLOCK_PROCESS_CPUTIME_ID; on a loaded machine the wall time mostly
    // measures the wait for a core), for the log.
    uint64_t phase_ns[4];
    uint64_t phase_cpu_ns[4];
    // Set (release) once `outcome` and the result are final, before the clone exits: the parent goes
    // on with the result while the clone's exit tears its image down on another core.
    uint64_t done;
};
static_assert(sizeof(SharedResult) % alignof(snapshot::AllocationRecord) == 0);

snapshot::AllocationRecord* recordsOf(SharedResult* shared) noexcept {
    return reinterpret_cast<snapshot::AllocationRecord*>(shared + 1);
}
uint8_t* classesOf(SharedResult* shared) noexcept {
    return reinterpret_cast<uint8_t*>(recordsOf(shared) + shared->capacity);
}


void notePhase(SharedResult* shared, int phase) noexcept {
    shared->phase_ns[phase] = monotonicNs();
    shared->phase_cpu_ns[phase] = clockNs(CLOCK_PROCESS_CPUTIME_ID);
}

// The kernel's struct sigaction (x86-64 and aarch64 both have sa_restorer): the clone sets default
// actions with the raw system call, past the preload's own sigaction hook and libc's bookkeeping.
struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
};

[[noreturn]] void leave(SharedResult* shared, snapshot::ReachabilityStatus outcome) noexcept {
    shared->outcome = static_cast<uint64_t>(outcome);
    __atomic_store_n(&shared->done, 1, __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 0);
    __builtin_unreachable();
}

// Everything the clone does; it never returns. Nothing here may take a lock another thread of the
// program could have held at the clone (those threads do not exist here): no malloc, no stdio.
[[noreturn]] void runClone(ScanPlan& plan, SharedResult* shared) noexcept {
    using snapshot::ReachabilityStatus;
    // A fault reading the image ends the clone (the parent then reports Failed); no handler of the
    // program (or the preload's crash handler) may run here, and no other signal is taken.
    const KernelSigaction default_action{SIG_DFL, 0, nullptr, 0};
    syscall(SYS_rt_sigaction, SIGSEGV, &default_action, nullptr, sizeof(uint64_t));
    syscall(SYS_rt_sigaction, SIGBUS, &default_action, nullptr, sizeof(uint64_t));
    const uint64_t blocked = ~((uint64_t{1} << (SIGSEGV - 1)) | (uint64_t{1} << (SIGBUS - 1)));
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &blocked, nullptr, sizeof(uint64_t));
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    notePhase(shared, 0);
    // The parent populated the shared result, but a clone gets no page-table entries for a shared
    // mapping: one call maps them all instead of a page fault per 4 KiB written (a hint: without it,
    // or on a kernel before 5.14, the faults happen as before).
    madvise(shared, sizeof(SharedResult) + shared->capacity * (sizeof(snapshot::AllocationRecord) + 1),
            MADV_POPULATE_WRITE);

    // Stacks and TLS from the maps first, before this clone maps anything of its own that could be
    // taken for a stack; the one array it needs for them is excluded by address.
    MappedArray<MappedRoot> mapped;
    if (!mapped.allocate(kMaxMappedRoots)) leave(shared, ReachabilityStatus::Failed);
    const auto mapped_begin = reinterpret_cast<uint64_t>(mapped.data());
    if (!addExcluded(plan, mapped_begin, mapped_begin + kMaxMappedRoots * sizeof(MappedRoot)))
        leave(shared, ReachabilityStatus::Skipped);
    long mapped_count = readMappedRoots(plan, mapped.data(), mapped.size());
    // Every fd in use (EMFILE): this clone's fd table is a copy, so one of its numbers can be freed.
    if (mapped_count < 0 && errno == EMFILE && closeOneFdOfThisCopy())
        mapped_count = readMappedRoots(plan, mapped.data(), mapped.size());
    if (mapped_count < 0) leave(shared, ReachabilityStatus::Failed);

    // The image's live table was locked by the parent across the clone: consistent, and ours alone.
    // Its blocks go to the shared result in table order (a hash order: the file needs none), each
    // size also to a dense array; AddressOrder then sorts 8-byte keys, not the records, and the
    // index and the marker work on the blocks in address order (position i), the classes going back
    // to table order (position j) at the end.
    live_table::unlockAllAfterFork();
    MappedArray<uint64_t> size_at;
    if (!size_at.allocate(shared->capacity, false, true)) leave(shared, ReachabilityStatus::Failed);
    struct Fill {
        SharedResult* shared;
        uint64_t* size_at;
    } fill{shared, size_at.data()};
    live_table::forEachTracked(
        [](const LiveEntry& entry, void* context) {
            auto* state = static_cast<Fill*>(context);
            SharedResult* result = state->shared;
            if (result->count < result->capacity) {
                recordsOf(result)[result->count] = {entry.address, entry.size, entry.sequence, entry.stack_id,
                                                    entry.thread_id};
                state->size_at[result->count] = entry.size;
            }
            ++result->count;
        },
        &fill);
    if (shared->count > shared->capacity) leave(shared, ReachabilityStatus::Failed);
    const size_t count = shared->count;
    MappedArray<uint64_t> key_memory, key_scratch;
    MappedArray<AddressOrder> order_memory;
    if (!key_memory.allocate(count, false, true) || !key_scratch.allocate(count, false, true) ||
        !order_memory.allocate(1))
        leave(shared, ReachabilityStatus::Failed);
    AddressOrder& order = *new (order_memory.data()) AddressOrder();
    const uint64_t* keys = order.sort(recordsOf(shared), count, key_memory.data(), key_scratch.data());
    if (!keys) leave(shared, ReachabilityStatus::Skipped);

    MappedArray<uint64_t> starts, ends, sizes;
    MappedArray<uint8_t> states;
    MappedArray<uint32_t> stack;
    MappedArray<BlockIndex> index_memory;
    if (!starts.allocate(count, false, true) || !ends.allocate(count, false, true) ||
        !sizes.allocate(count, false, true) || !states.allocate(count, false, true) || !stack.allocate(2 * count + 1) ||
        !index_memory.allocate(1))
        leave(shared, ReachabilityStatus::Failed);
    for (size_t i = 0; i < count; ++i) {
        starts[i] = order.addressOf(keys[i]);
        sizes[i] = size_at[AddressOrder::positionOf(keys[i])];
        ends[i] = starts[i] + (sizes[i] ? sizes[i] : 1);
    }
    size_at.release();
    notePhase(shared, 1);
    BlockIndex* index = new (index_memory.data()) BlockIndex();
    if (!index->build(starts.data(), ends.data(), count)) leave(shared, ReachabilityStatus::Skipped);

    notePhase(shared, 2);
    Deadline deadline(plan.deadline_ns);
    Marker marker(*index, starts.data(), sizes.data(), count, states.data(), stack.data(), deadline);
    auto scanRoot = [&](uint64_t begin, uint64_t end) {
        return forEachIncludedPart(plan, begin, end, [&](uint64_t b, uint64_t e) { return marker.scanRoot(b, e); });
    };
    for (size_t i = 0; i < plan.module_count; ++i)
        if (!scanRoot(plan.modules[i].begin, plan.modules[i].end)) leave(shared, ReachabilityStatus::Skipped);
    for (long i = 0; i < mapped_count; ++i) {
        const MappedRoot& root = mapped[static_cast<size_t>(i)];
        // A mapping that holds a live block is a heap (an arena next to its reserve), not a stack.
        const uint64_t* first = std::lower_bound(starts.data(), starts.data() + count, root.range.begin);
        if (first != starts.data() + count && *first < root.range.end) continue;
        uint64_t begin = root.range.begin;
        if (root.holds_floor && plan.stack_floor > begin) begin = plan.stack_floor & ~uint64_t{7};
        if (!scanRoot(begin, root.range.end)) leave(shared, ReachabilityStatus::Skipped);
    }
    if (!marker.finish()) leave(shared, ReachabilityStatus::Skipped);
    notePhase(shared, 3);
    uint8_t* classes = classesOf(shared);
    for (size_t i = 0; i < count; ++i) classes[AddressOrder::positionOf(keys[i])] = static_cast<uint8_t>(marker.classOf(i));
    leave(shared, ReachabilityStatus::Classified);
}

// Waits for the clone's result, at most until `hard_deadline_ns` (then it is killed: Skipped). The clone
// has no exit signal, so only __WALL finds it; polling, because a blocking wait has no timeout. Sets
// `unreaped` to the clone when it returns on the clone's `done` before its exit (reap it later).
snapshot::ReachabilityStatus waitForClone(long child, uint64_t hard_deadline_ns, SharedResult* shared,
                                          long& unreaped) noexcept {
    long pause_ns = 20000;
    for (;;) {
        if (__atomic_load_n(&shared->done, __ATOMIC_ACQUIRE) != 0 && shared->outcome <= snapshot::kLastReachabilityStatus) {
            unreaped = child;
            return static_cast<snapshot::ReachabilityStatus>(shared->outcome);
        }
        int status = 0;
        const pid_t waited = waitpid(static_cast<pid_t>(child), &status, WNOHANG | __WALL);
        if (waited == static_cast<pid_t>(child)) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && shared->outcome <= snapshot::kLastReachabilityStatus)
                return static_cast<snapshot::ReachabilityStatus>(shared->outcome);
            return snapshot::ReachabilityStatus::Failed;  // a fault in the clone, or it was killed
        }
        if (waited < 0 && errno != EINTR) return snapshot::ReachabilityStatus::Failed;
        if (monotonicNs() >= hard_deadline_ns) {
            syscall(SYS_kill, child, SIGKILL);
            while (waitpid(static_cast<pid_t>(child), &status, __WALL) < 0 && errno == EINTR) {
            }
            return snapshot::ReachabilityStatus::Skipped;
        }
        timespec pause{0, pause_ns};
        nanosleep(&pause, nullptr);
        if (pause_ns < 2000000) pause_ns *= 2;
    }
}

}  // namespace

void rememberMainThread() noexcept { gMainTls.store(reinterpret_cast<uint64_t>(&tTlsMarker), std::memory_order_relaxed); }

void rememberToolThread(const void* address_on_its_stack) noexcept {
    gToolStack.store(reinterpret_cast<uint64_t>(address_on_its_stack), std::memory_order_relaxed);
}

ReachabilityScan::~ReachabilityScan() {
    if (shared_) munmap(shared_, shared_bytes_);
    // The clone handed its result over before exiting; by now (the snapshot is written) its exit has
    // mostly run. ECHILD: the program reaped it itself with waitpid(-1, __WALL).
    int status = 0;
    if (unreaped_ > 0)
        while (waitpid(static_cast<pid_t>(unreaped_), &status, __WALL) < 0 && errno == EINTR) {
        }
}

const snapshot::AllocationRecord* ReachabilityScan::records() const noexcept {
    return shared_ ? recordsOf(static_cast<SharedResult*>(shared_)) : nullptr;
}
const uint8_t* ReachabilityScan::classes() const noexcept {
    return shared_ ? classesOf(static_cast<SharedResult*>(shared_)) : nullptr;
}
size_t ReachabilityScan::count() const noexcept {
    return shared_ ? static_cast<SharedResult*>(shared_)->count : 0;
}

void ReachabilityScan::run(uint64_t stack_floor, uint64_t budget_ms) noexcept {
    using snapshot::ReachabilityStatus;
    const uint64_t start = monotonicNs();
    auto finish = [&](ReachabilityStatus status) {
        status_ = status;
        scan_ns_ = monotonicNs() - start;
        if (status != ReachabilityStatus::Classified && shared_) {
            munmap(shared_, shared_bytes_);
            shared_ = nullptr;
        }
    };
    if (live_table::sumCounters().live_allocations > kMaxBlocks) return finish(ReachabilityStatus::Skipped);
    MappedArray<ScanPlan> plan_memory;
    if (!plan_memory.allocate(1)) return finish(ReachabilityStatus::Failed);
    ScanPlan& plan = *new (plan_memory.data()) ScanPlan();
    plan.stack_floor = stack_floor;
    plan.tool_stack = gToolStack.load(std::memory_order_relaxed);
    plan.main_tls = gMainTls.load(std::memory_order_relaxed);
    plan.deadline_ns = start + budget_ms * 1000000ull;
    if (!collectPlan(plan)) return finish(ReachabilityStatus::Skipped);

    // The shared result is mapped and populated before the table's locks are taken (populating tens of
    // megabytes must not stall the program's allocations), with room to spare; under the locks, held
    // only across the clone, it is checked against the exact count and remapped if it fell short.
    size_t capacity = live_table::sumCounters().live_allocations;
    void* shared = MAP_FAILED;
    for (int attempt = 0;; ++attempt) {
        capacity += capacity / 16 + 4096;
        shared_bytes_ = sizeof(SharedResult) + capacity * (sizeof(snapshot::AllocationRecord) + 1);
        shared = mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
        if (shared == MAP_FAILED) return finish(ReachabilityStatus::Failed);
        live_table::lockAllForFork();
        const size_t needed = live_table::slotsInUseLocked();
        if (needed <= capacity) {
            if (excludeLiveTableLocked(plan)) break;
            live_table::unlockAllAfterFork();
            munmap(shared, shared_bytes_);
            return finish(ReachabilityStatus::Skipped);  // more table ranges than the plan holds
        }
        live_table::unlockAllAfterFork();
        munmap(shared, shared_bytes_);
        if (attempt == 3) return finish(ReachabilityStatus::Skipped);  // the heap grows faster than we map
        capacity = needed;
    }
    shared_ = shared;
    auto* result = static_cast<SharedResult*>(shared);
    result->capacity = capacity;
    result->outcome = static_cast<uint64_t>(ReachabilityStatus::Failed);
    // Raw clone, no CLONE_VM, exit signal 0: see ReachabilityScan.h.
    const long child = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
    if (child == 0) runClone(plan, result);
    live_table::unlockAllAfterFork();
    if (child < 0) return finish(ReachabilityStatus::Failed);  // e.g. a seccomp filter forbids clone
    // The clone checks the budget itself; the parent kills it only if it overruns by a second more.
    finish(waitForClone(child, plan.deadline_ns + 1000000000ull, result, unreaped_));
    if (status_ == ReachabilityStatus::Classified) {
        auto ms = [](uint64_t from, uint64_t to) { return to > from ? static_cast<double>(to - from) / 1e6 : 0.0; };
        logMessage(LogLevel::Info,
                   "reachability scan: %llu blocks in %.1f ms (plan and clone %.1f, enumerate and sort %.1f, index %.1f, "
                   "mark %.1f, wait %.1f; the clone's CPU: %.1f ms, enumerate and sort %.1f, index %.1f, mark %.1f)",
                   static_cast<unsigned long long>(result->count), ms(start, start + scan_ns_),
                   ms(start, result->phase_ns[0]), ms(result->phase_ns[0], result->phase_ns[1]),
                   ms(result->phase_ns[1], result->phase_ns[2]), ms(result->phase_ns[2], result->phase_ns[3]),
                   ms(result->phase_ns[3], start + scan_ns_), ms(0, result->phase_cpu_ns[3]),
                   ms(result->phase_cpu_ns[0], result->phase_cpu_ns[1]),
                   ms(result->phase_cpu_ns[1], result->phase_cpu_ns[2]),
                   ms(result->phase_cpu_ns[2], result->phase_cpu_ns[3]));
    }
}

}  // namespace leakscope::preload::reachability
