// See FdTableCopy.h. Raw syscalls for the mask, glibc's clone() for the switch to the helper's stack
// (it calls the function there and ends the thread with SYS_exit); nothing here allocates or locks.
#include "lifecycle/FdTableCopy.h"
#include "lifecycle/PathText.h"

#include <sched.h>
#include <signal.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

// valgrind.h's client request is a no-op instruction sequence outside valgrind (a few rotates of rdi).
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LEAKSCOPE_RUNNING_ON_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#else
#define LEAKSCOPE_RUNNING_ON_VALGRIND() false
#endif

namespace leakscope::preload {
namespace {

// What the snapshot writer needs is a few KiB (its 64 KiB buffer is mmap'd, the /proc readers use
// 4-8 KiB frames or static buffers); 256 KiB leaves room for logMessage's formatting and future depth.
// MAP_NORESERVE: only the pages touched cost memory. Below it one PROT_NONE page, so an overflow is a
// fault, not a write into whatever mapping lies beneath.
constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kGuardBytes = 64 * 1024;  // covers 4 KiB and 64 KiB pages alike

// The tid of the thread waiting for the helper; 0 outside the helper. Set and cleared by the helper
// itself: it runs on the caller's TLS, and the caller only waits meanwhile (waitForWordChange).
thread_local pid_t tWaitingThread __attribute__((tls_model("initial-exec"))) = 0;

struct HelperJob {
    void (*work)(void*);
    void* context;
    pid_t waiting_thread;
};

int helperMain(void* argument) {
    auto* job = static_cast<HelperJob*>(argument);
    tWaitingThread = job->waiting_thread;
    job->work(job->context);
    tWaitingThread = 0;
    return 0;  // glibc's clone() then calls SYS_exit: this thread only, no atexit handler
}

// FUTEX_WAIT while *word == expected, as a raw system call that leaves errno alone: the helper runs on
// this thread's TLS at the same time, errno included. Shared (not _PRIVATE): the kernel's wake at the
// helper's exit is a shared one. Interruptible, unlike a CLONE_VFORK wait: a stop of the process (Ctrl-Z,
// SIGSTOP) stops this thread too, so the stop completes and is reported, and the helper, a thread of
// the process, stops and resumes with it.
void waitForWordChange(pid_t* word, pid_t expected) noexcept {
#if defined(__x86_64__)
    long result = SYS_futex;
    register long timeout asm("r10") = 0;
    asm volatile("syscall"
                 : "+a"(result)
                 : "D"(word), "S"(static_cast<long>(FUTEX_WAIT)), "d"(static_cast<long>(expected)), "r"(timeout)
                 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long number asm("x8") = SYS_futex;
    register long first asm("x0") = reinterpret_cast<long>(word);
    register long operation asm("x1") = FUTEX_WAIT;
    register long value asm("x2") = expected;
    register long timeout asm("x3") = 0;
    asm volatile("svc 0" : "+r"(first) : "r"(number), "r"(operation), "r"(value), "r"(timeout) : "memory");
#else
#error "waitForWordChange: add this architecture's raw futex call"
#endif
}

// The kernel's signal mask (64 signals on the architectures we build for), set with the raw syscall:
// glibc's sigprocmask would leave its own SIGCANCEL and SIGSETXID unblocked.
using KernelSigset = uint64_t;

}  // namespace

bool runWithCopiedFdTable(void (*work)(void* context), void* context) noexcept {
    // valgrind runs clone() only with pthread_create's or fork's flags; any other set (ours has no
    // CLONE_FILES) ends the whole process in VG_(unimplemented). Under valgrind the work runs in place.
    if (LEAKSCOPE_RUNNING_ON_VALGRIND()) {
        errno = ENOSYS;
        return false;
    }
    const int saved_errno = errno;
    const size_t mapped = kGuardBytes + kStackBytes;
    void* stack = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
    if (stack == MAP_FAILED) return false;
    if (mprotect(stack, kGuardBytes, PROT_NONE) != 0) {
        const int error = errno;
        munmap(stack, mapped);
        errno = error;
        return false;
    }
    HelperJob job{work, context, static_cast<pid_t>(syscall(SYS_gettid))};
    const KernelSigset all = ~KernelSigset{0};
    KernelSigset previous = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &previous, sizeof(KernelSigset));
    // The kernel stores the helper's tid here before it runs (CLONE_PARENT_SETTID) and clears it, with a
    // futex wake, once the helper has left its stack for good (CLONE_CHILD_CLEARTID, as pthread_join).
    pid_t running = 0;
    constexpr int kFlags = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_UNTRACED | CLONE_PARENT_SETTID |
                           CLONE_CHILD_CLEARTID;
    const int helper = clone(helperMain, static_cast<char*>(stack) + mapped, kFlags, &job, &running, nullptr, &running);
    const int clone_errno = errno;
    if (helper > 0)
        for (pid_t tid; (tid = __atomic_load_n(&running, __ATOMIC_ACQUIRE)) != 0;) waitForWordChange(&running, tid);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &previous, nullptr, sizeof(KernelSigset));
    munmap(stack, mapped);
    errno = helper < 0 ? clone_errno : saved_errno;
    return helper >= 0;
}

bool onCopiedFdTable() noexcept { return tWaitingThread != 0; }

bool programFdPath(int fd, char* out, size_t capacity) noexcept {
    size_t used = 0;
    bool fits = tWaitingThread != 0
                    ? appendText(out, capacity, used, "/proc/self/task/") &&
                          appendDecimal(out, capacity, used, static_cast<unsigned long>(tWaitingThread)) &&
                          appendText(out, capacity, used, "/fd")
                    : appendText(out, capacity, used, "/proc/thread-self/fd");
    if (fits && fd >= 0)
        fits = appendText(out, capacity, used, "/") && appendDecimal(out, capacity, used, static_cast<unsigned long>(fd));
    return fits;
}

}  // namespace leakscope::preload
