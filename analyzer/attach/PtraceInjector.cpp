// The ptrace injector (see PtraceInjector.h). x86-64 only: the register names, the red zone and the
// calling convention below are that ABI's.
#include "attach/PtraceInjector.h"

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "attach/TargetProcess.h"

namespace leakscope::analyzer::attach {
namespace {

constexpr int kRtldNow = 2;             // dlopen mode: RTLD_NOW, RTLD_LOCAL (not in the global scope)
constexpr size_t kXstateBytes = 16384;  // larger than any XSAVE area (AVX-512: ~2.7 KiB)


// One borrowed thread; its state is put back and it is detached by the destructor, whatever happened.
// Where the thread may run our calls: inside a system call (blocked in it, or at its entry), so that
// it is not in the middle of library code that our calls would re-enter (heaptrack's gdb call of
// dlopen on a thread stopped inside malloc corrupts the heap). Not in a call the allocator or the
// loader makes from inside themselves: brk, mmap, munmap, mprotect, mremap, madvise, futex (a lock
// wait), exit, exit_group, nor at any system call the dynamic loader's own code makes.
bool safeSyscall(const user_regs_struct& regs, const std::vector<std::pair<uint64_t, uint64_t>>& loader) {
    auto number = static_cast<int64_t>(regs.orig_rax);
    static constexpr int64_t kUnsafe[] = {12, 9, 11, 10, 25, 28, 202, 60, 231};
    if (number < 0 || std::find(std::begin(kUnsafe), std::end(kUnsafe), number) != std::end(kUnsafe)) return false;
    for (const auto& [start, end] : loader)
        if (regs.rip >= start && regs.rip < end) return false;
    return true;
}

// How long one thread may take to reach a safe point: a thread that does not (an idle condition-variable
// wait never returns) is let go as it is, and the next one is tried.
constexpr auto kSafePointWait = std::chrono::seconds(1);
// How long our calls (dlopen, the attach entry) may take, and how long a stop may take to be reported.
constexpr auto kCallWait = std::chrono::seconds(10);
constexpr auto kStopWait = std::chrono::seconds(2);
using Clock = std::chrono::steady_clock;

// waitpid for one thread that never blocks past `deadline` (WNOHANG polling): the thread id, or 0
// when the deadline passed, or -1 (errno) on an error.
pid_t waitThread(pid_t thread, int* status, Clock::time_point deadline) {
    auto pause = std::chrono::microseconds(50);
    for (;;) {
        pid_t got = waitpid(thread, status, __WALL | WNOHANG);
        if (got != 0 || Clock::now() >= deadline) return got;
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(2));
    }
}

class BorrowedThread {
public:
    BorrowedThread(pid_t pid, pid_t thread, std::vector<std::pair<uint64_t, uint64_t>> loader)
        : pid_(pid), thread_(thread), loader_(std::move(loader)) {}
    ~BorrowedThread() { release(); }
    BorrowedThread(const BorrowedThread&) = delete;
    BorrowedThread& operator=(const BorrowedThread&) = delete;

    // Seize and stop it; false with errno set (EPERM, ESRCH...) or `error_` filled.
    bool stop() {
        if (ptrace(PTRACE_SEIZE, thread_, nullptr, nullptr) != 0) return false;
        seized_ = true;
        started_ = std::chrono::steady_clock::now();
        if (ptrace(PTRACE_INTERRUPT, thread_, nullptr, nullptr) != 0) return false;
        const auto deadline = Clock::now() + kStopWait;
        for (;;) {
            int status = 0;
            pid_t got = waitThread(thread_, &status, deadline);
            if (got == 0) return fail("thread " + std::to_string(thread_) + " did not stop within " +
                                      std::to_string(kStopWait.count()) + " s of PTRACE_INTERRUPT");
            if (got != thread_) return false;
            if (!WIFSTOPPED(status)) {
                seized_ = false;
                return fail("the thread ended while it was being stopped");
            }
            if (status >> 16 == PTRACE_EVENT_STOP) break;
            // A signal arrived first: it is held back and sent again after the detach.
            held_signal_ = WSTOPSIG(status);
            ptrace(PTRACE_CONT, thread_, nullptr, nullptr);
        }
        if (ptrace(PTRACE_GETREGS, thread_, nullptr, &saved_regs_) != 0) return fail("cannot read its registers");
        if (!safeSyscall(saved_regs_, loader_) && !runToSafeSyscall()) {
            no_safe_point_ = true;
            return false;
        }
        xstate_.resize(kXstateBytes);
        iovec vector{xstate_.data(), xstate_.size()};
        if (ptrace(PTRACE_GETREGSET, thread_, reinterpret_cast<void*>(NT_X86_XSTATE), &vector) == 0) {
            xstate_.resize(vector.iov_len);
            have_xstate_ = true;
        } else if (ptrace(PTRACE_GETFPREGS, thread_, nullptr, &saved_fpregs_) == 0) {
            have_fpregs_ = true;
        } else {
            return fail("cannot read its floating-point state");
        }
        if (ptrace(PTRACE_GETSIGMASK, thread_, sizeof(saved_mask_), &saved_mask_) != 0) return fail("cannot read its signal mask");
        // Signals wait while it runs our calls (process-directed ones go to other threads): its
        // handlers never run on a half-done call. Faults stay unblocked: the kernel would otherwise
        // reset the program's handler for them, and the return to address 0 is one.
        uint64_t mask = ~uint64_t{0};
        for (int fault : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP}) mask &= ~(uint64_t{1} << (fault - 1));
        if (ptrace(PTRACE_SETSIGMASK, thread_, sizeof(mask), &mask) != 0) return fail("cannot set its signal mask");
        stack_top_ = (saved_regs_.rsp - 128 - 256) & ~uint64_t{15};  // below the red zone, with a margin
        return true;
    }

    // Lets the thread run to the entry of its next safe system call (safeSyscall) and stops it there,
    // before the call runs: release() then rewinds it to execute that system call as it meant to.
    // Never waits past kSafePointWait: a thread blocked in an unsafe call (futex: a condition-variable
    // wait that nothing signals) is interrupted again and let go where it is, registers untouched.
    bool runToSafeSyscall() {
        if (ptrace(PTRACE_SETOPTIONS, thread_, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD)) != 0)
            return fail("cannot trace its system calls");
        const auto deadline = Clock::now() + kSafePointWait;
        int pass_signal = 0;
        for (;;) {
            // From here on the thread runs its own code: the registers saved at the stop are stale.
            saved_regs_ = {};
            if (ptrace(PTRACE_SYSCALL, thread_, nullptr, reinterpret_cast<void*>(static_cast<long>(pass_signal))) != 0)
                return fail("cannot resume it to a system call");
            pass_signal = 0;
            int status = 0;
            pid_t got = waitThread(thread_, &status, deadline);
            if (got == 0) {
                interruptAndWait();
                return noSafePointYet();
            }
            if (got != thread_ || !WIFSTOPPED(status)) {
                seized_ = got == thread_ && WIFSTOPPED(status);
                return fail("the thread ended while waiting for a system call");
            }
            if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
                if (status >> 16 == 0) pass_signal = WSTOPSIG(status);  // the program's own signal: delivered
                if (Clock::now() >= deadline) {
                    if (pass_signal) held_signal_ = pass_signal;  // sent again after the detach
                    return noSafePointYet();
                }
                continue;
            }
            user_regs_struct regs{};
            if (ptrace(PTRACE_GETREGS, thread_, nullptr, &regs) != 0) return fail("cannot read its registers");
            bool entry = static_cast<int64_t>(regs.rax) == -ENOSYS;
            if (entry && safeSyscall(regs, loader_)) {
                saved_regs_ = regs;
                at_syscall_entry_ = true;
                started_ = Clock::now();  // it ran freely until here
                return true;
            }
            if (Clock::now() >= deadline)
                return noSafePointYet();
        }
    }

    bool noSafePointYet() {
        return fail("thread " + std::to_string(thread_) + " reached no safe point within " +
                    std::to_string(kSafePointWait.count()) + " s");
    }

    // The thread runs (its own code or ours) past a deadline: stop it again so that it can be
    // detached (a running thread cannot be). Any stop will do; its registers are left as they are.
    void interruptAndWait() {
        if (ptrace(PTRACE_INTERRUPT, thread_, nullptr, nullptr) != 0) return;
        int status = 0;
        pid_t got = waitThread(thread_, &status, Clock::now() + kStopWait);
        if (got == thread_ && !WIFSTOPPED(status)) seized_ = false;
        // A signal-delivery stop: that signal is sent again after the detach.
        if (got == thread_ && WIFSTOPPED(status) && status >> 16 == 0 && WSTOPSIG(status) != (SIGTRAP | 0x80))
            held_signal_ = WSTOPSIG(status);
    }

    // Copies `text` (with its NUL) onto the thread's stack below the red zone; returns its address.
    uint64_t pushString(const std::string& text) {
        stack_top_ = (stack_top_ - text.size() - 1) & ~uint64_t{15};
        iovec local{const_cast<char*>(text.c_str()), text.size() + 1};
        iovec remote{reinterpret_cast<void*>(stack_top_), text.size() + 1};
        if (process_vm_writev(thread_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(text.size() + 1)) return 0;
        return stack_top_;
    }

    // Calls function(a, b, c) on the thread; false on a fault anywhere but the return to 0.
    bool call(uint64_t function, uint64_t a, uint64_t b, uint64_t c, uint64_t* result) {
        user_regs_struct regs = saved_regs_;
        uint64_t frame = (stack_top_ - 8) & ~uint64_t{15};  // 16-aligned before the call pushed its return
        frame -= 8;
        uint64_t zero = 0;
        iovec local{&zero, sizeof(zero)}, remote{reinterpret_cast<void*>(frame), sizeof(zero)};
        if (process_vm_writev(thread_, &local, 1, &remote, 1, 0) != sizeof(zero)) return fail("cannot write its stack");
        regs.rip = function;
        regs.rsp = frame;
        regs.rdi = a;
        regs.rsi = b;
        regs.rdx = c;
        regs.rax = 0;
        regs.orig_rax = static_cast<uint64_t>(-1);  // no system call restart around our call
        if (ptrace(PTRACE_SETREGS, thread_, nullptr, &regs) != 0) return fail("cannot set its registers");
        if (ptrace(PTRACE_CONT, thread_, nullptr, nullptr) != 0) return fail("cannot resume it");
        const auto deadline = Clock::now() + kCallWait;
        for (;;) {
            int status = 0;
            pid_t got = waitThread(thread_, &status, deadline);
            if (got == 0) {
                interruptAndWait();
                return fail("the call in thread " + std::to_string(thread_) + " did not return within " +
                            std::to_string(kCallWait.count()) + " s; it was abandoned and the thread's registers put back");
            }
            if (got != thread_) return fail("lost the thread during the call");
            if (WIFEXITED(status) || WIFSIGNALED(status)) {
                seized_ = false;
                return fail("the process ended during the call");
            }
            int signal_number = WSTOPSIG(status);
            if (status >> 16 != 0 || signal_number != SIGSEGV) {
                // Not the return fault (a PTRACE_EVENT stop, or an unblockable signal): go on.
                ptrace(PTRACE_CONT, thread_, nullptr, nullptr);
                continue;
            }
            user_regs_struct after{};
            ptrace(PTRACE_GETREGS, thread_, nullptr, &after);
            if (after.rip != 0) return fail("the call faulted at 0x" + hex(after.rip));
            *result = after.rax;
            return true;
        }
    }

    bool readMemory(uint64_t address, void* buffer, size_t size) {
        iovec local{buffer, size}, remote{reinterpret_cast<void*>(address), size};
        return process_vm_readv(thread_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
    }
    bool writeMemory(uint64_t address, const void* buffer, size_t size) {
        iovec local{const_cast<void*>(buffer), size}, remote{reinterpret_cast<void*>(address), size};
        return process_vm_writev(thread_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
    }

    // Puts registers, extended state and mask back and detaches; returns the stopped time.
    uint64_t release() {
        if (!seized_) return stopped_us_;
        if (saved_regs_.rsp != 0) {
            user_regs_struct regs = saved_regs_;
            if (at_syscall_entry_) {  // run the system call it was entering, from its instruction again
                regs.rip -= 2;        // syscall is 0f 05
                regs.rax = regs.orig_rax;
            }
            ptrace(PTRACE_SETREGS, thread_, nullptr, &regs);
            if (have_xstate_) {
                iovec vector{xstate_.data(), xstate_.size()};
                ptrace(PTRACE_SETREGSET, thread_, reinterpret_cast<void*>(NT_X86_XSTATE), &vector);
            } else if (have_fpregs_) {
                ptrace(PTRACE_SETFPREGS, thread_, nullptr, &saved_fpregs_);
            }
            ptrace(PTRACE_SETSIGMASK, thread_, sizeof(saved_mask_), &saved_mask_);
        }
        ptrace(PTRACE_DETACH, thread_, nullptr, nullptr);
        seized_ = false;
        stopped_us_ = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count());
        if (held_signal_) syscall(SYS_tgkill, pid_, thread_, held_signal_);
        return stopped_us_;
    }

    const std::string& error() const { return error_; }
    // stop() failed only because the thread reached no safe point in time: the next thread may.
    bool noSafePoint() const { return no_safe_point_; }

private:
    static std::string hex(uint64_t value) {
        char text[32];
        std::snprintf(text, sizeof(text), "%llx", static_cast<unsigned long long>(value));
        return text;
    }
    bool fail(const std::string& why) {
        if (error_.empty()) error_ = why;
        return false;
    }

    pid_t pid_, thread_;
    std::vector<std::pair<uint64_t, uint64_t>> loader_;  // the dynamic loader's mappings
    bool seized_ = false;
    bool at_syscall_entry_ = false;
    bool no_safe_point_ = false;
    user_regs_struct saved_regs_{};
    user_fpregs_struct saved_fpregs_{};
    std::vector<unsigned char> xstate_;
    bool have_xstate_ = false, have_fpregs_ = false;
    uint64_t saved_mask_ = 0;
    uint64_t stack_top_ = 0;
    int held_signal_ = 0;
    std::chrono::steady_clock::time_point started_{};
    uint64_t stopped_us_ = 0;
    std::string error_;
};

// dlopen/dlsym/dlerror/__errno_location in the process: libc since glibc 2.34, libdl before.
struct LoaderFunctions {
    uint64_t dlopen = 0, dlsym = 0, dlerror = 0, errno_location = 0;
};

LoaderFunctions findLoaderFunctions(pid_t pid) {
    LoaderFunctions found;
    auto libc = findMappedFile(pid, "libc.so");
    if (!libc) return found;
    found.errno_location = functionAddress(pid, *libc, "__errno_location");
    found.dlopen = functionAddress(pid, *libc, "dlopen");
    found.dlsym = functionAddress(pid, *libc, "dlsym");
    found.dlerror = functionAddress(pid, *libc, "dlerror");
    if (!found.dlopen) {
        if (auto libdl = findMappedFile(pid, "libdl.so")) {
            found.dlopen = functionAddress(pid, *libdl, "dlopen");
            found.dlsym = functionAddress(pid, *libdl, "dlsym");
            found.dlerror = functionAddress(pid, *libdl, "dlerror");
        }
    }
    return found;
}

std::string remoteString(BorrowedThread& thread, uint64_t address) {
    if (!address) return "";
    char text[512] = {};
    if (!thread.readMemory(address, text, sizeof(text) - 1)) return "";
    return text;
}

}  // namespace

std::string notPermittedReason(pid_t pid) {
    std::string id = std::to_string(pid);
    std::ifstream status("/proc/" + id + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("TracerPid:", 0) == 0 && std::atol(line.c_str() + 10) != 0)
            return "process " + id + " is already traced by process " + std::to_string(std::atol(line.c_str() + 10)) +
                   " (a debugger, strace, or another leakscope attach): detach that first";
    long uid = processUid(pid);
    if (uid >= 0 && static_cast<uid_t>(uid) != geteuid() && geteuid() != 0)
        return "not permitted to attach to process " + id + ", which belongs to uid " + std::to_string(uid) +
               ": run leakscope attach as that user or as root";
    std::string scope = firstLineOf("/proc/sys/kernel/yama/ptrace_scope");
    if (scope == "1")
        return "not permitted to attach to process " + id + ": kernel.yama.ptrace_scope is 1 (only a parent may "
               "trace its children); run as root, or `sudo setcap cap_sys_ptrace+ep $(command -v leakscope)`, "
               "or allow it with `sudo sysctl kernel.yama.ptrace_scope=0`";
    if (scope == "2")
        return "not permitted to attach to process " + id + ": kernel.yama.ptrace_scope is 2 (only with "
               "CAP_SYS_PTRACE); run as root, or `sudo setcap cap_sys_ptrace+ep $(command -v leakscope)`";
    if (scope == "3")
        return "not permitted to attach to process " + id + ": kernel.yama.ptrace_scope is 3 (no process may "
               "be traced until the next boot)";
    return "not permitted to attach to process " + id + " (it is not dumpable: setuid or setcap, or it called "
           "prctl(PR_SET_DUMPABLE, 0); or a security module forbids ptrace): run as root";
}

InjectionResult injectAndCall(const InjectionRequest& request) {
    InjectionResult result;
    LoaderFunctions loader = findLoaderFunctions(request.pid);
    if (!loader.dlopen || !loader.dlsym || !loader.errno_location) {
        // Its maps are readable with the same right ptrace needs: unreadable, the attach is not permitted.
        if (firstLineOf("/proc/" + std::to_string(request.pid) + "/maps").empty()) {
            result.error = notPermittedReason(request.pid);
            return result;
        }
        result.error = "process " + std::to_string(request.pid) + " has no dlopen in its libc or libdl (not glibc?)";
        return result;
    }
    const auto loader_ranges = mappedRanges(request.pid, "ld-linux");
    const std::vector<pid_t> threads = threadsByPreference(request.pid);
    size_t without_safe_point = 0;
    for (pid_t thread_id : threads) {
        BorrowedThread thread(request.pid, thread_id, loader_ranges);
        if (!thread.stop()) {
            if (errno == ESRCH && thread.error().empty()) continue;  // that thread ended meanwhile: the next one
            if (thread.noSafePoint()) {  // let go as it was: try the next thread
                ++without_safe_point;
                continue;
            }
            if (errno == EPERM && thread.error().empty()) {
                result.error = notPermittedReason(request.pid);
                return result;
            }
            result.error = thread.error().empty() ? std::string("ptrace: ") + std::strerror(errno) : thread.error();
            return result;
        }
        result.thread = thread_id;
        uint64_t errno_address = 0, handle = 0, entry = 0, status = 0;
        int saved_errno = 0;
        uint64_t library = thread.pushString(request.library);
        uint64_t entry_name = thread.pushString(request.entry);
        uint64_t settings = thread.pushString(request.settings);
        bool ok = library && entry_name && settings &&
                  thread.call(loader.errno_location, 0, 0, 0, &errno_address) &&
                  thread.readMemory(errno_address, &saved_errno, sizeof(saved_errno)) &&
                  thread.call(loader.dlopen, library, kRtldNow, 0, &handle);
        if (ok && !handle) {
            uint64_t message = 0;
            std::string why = loader.dlerror && thread.call(loader.dlerror, 0, 0, 0, &message)
                                  ? remoteString(thread, message) : "";
            result.error = "the process could not load " + request.library + (why.empty() ? "" : ": " + why);
            ok = false;
        } else if (ok) {
            ok = thread.call(loader.dlsym, handle, entry_name, 0, &entry);
            if (ok && !entry) {
                result.error = request.library + " has no " + request.entry + " (not a libleakscope-attach.so?)";
                ok = false;
            }
            if (ok) ok = thread.call(entry, settings, 0, 0, &status);
        }
        if (errno_address) thread.writeMemory(errno_address, &saved_errno, sizeof(saved_errno));
        result.stopped_us = thread.release();
        if (!ok && result.error.empty()) result.error = thread.error();
        result.ok = ok;
        result.status = static_cast<int>(status);
        return result;
    }
    if (without_safe_point > 0)
        result.error = "process " + std::to_string(request.pid) + ": none of its " + std::to_string(threads.size()) +
                       " threads reached a safe point (a system call outside the allocator and the loader) within " +
                       std::to_string(kSafePointWait.count()) + " s; nothing was loaded and it runs on unchanged";
    else
        result.error = "process " + std::to_string(request.pid) + " has no thread that could be stopped";
    return result;
}

}  // namespace leakscope::analyzer::attach
