// Process boundaries: _exit/_Exit (exit snapshot), dlclose (module map refresh first), and every way
// to start a program (exec family, fexecve, posix_spawn, system, popen): the program's environ holds
// none of our settings (taken out at start), so each child start puts them back into the child's
// environment (LEAKSCOPE_FOLLOW_EXEC=1) or keeps them out (0). exec hooks may run in a vfork child:
// they allocate only with mmap.
#include <atomic>
#include <cstdarg>
#include <cstring>
#include <dlfcn.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <cstdio>
#include <sys/mman.h>
#include <unistd.h>

#include "relocation/OptionalHooks.h"
#include "unwind/CfiWalker.h"
#include "lifecycle/Config.h"
#include "unwind/ModuleMap.h"
#include "hooks/RealFunctions.h"
#include "hooks/Export.h"
#include "hooks/LibcFdHooks.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"
#include "tracker/ErrnoKeeper.h"
#include "tracker/ThreadState.h"
#include "lifecycle/ProcessRecord.h"
#include "lifecycle/Triggers.h"


extern char** environ;

namespace leakscope::preload {
namespace {

// The tracking variables as they were when this process started (LEAKSCOPE_* and our own
// LD_PRELOAD element), kept here after they are taken out of the program's environ, to put into the
// environment of every child the program starts (docs/architecture.md, "The program's environment").
constexpr size_t kRememberedBytes = 16 * 1024;
constexpr size_t kRememberedEntries = 32;
char gRememberedText[kRememberedBytes];
const char* gRemembered[kRememberedEntries];  // LEAKSCOPE_* entries
size_t gRememberedCount = 0;
char gOwnPreload[4096];                        // our LD_PRELOAD element (the library's path), "" if none
// What is left of the program's LD_PRELOAD without our element ("LD_PRELOAD=a.so:b.so").
char gProgramPreload[4096 + 11];

constexpr char kPreloadPrefix[] = "LD_PRELOAD=";
constexpr size_t kPreloadPrefixLength = sizeof(kPreloadPrefix) - 1;

bool isPreloadEntry(const char* entry) noexcept { return std::strncmp(entry, kPreloadPrefix, kPreloadPrefixLength) == 0; }

// An element of an LD_PRELOAD list (separated by ':' or ' ') that names this library.
bool isOwnPreloadElement(const char* element, size_t length) noexcept {
    const char* base = element;
    for (size_t i = 0; i < length; ++i)
        if (element[i] == '/') base = element + i + 1;
    size_t base_length = length - static_cast<size_t>(base - element);
    return base_length >= 12 && std::strncmp(base, "libleakscope", 12) == 0;
}

bool preloadListHasOwn(const char* list) noexcept {
    for (const char* p = list; *p;) {
        size_t length = std::strcspn(p, ": ");
        if (length && isOwnPreloadElement(p, length)) return true;
        p += length;
        if (*p) ++p;
    }
    return false;
}

// Copies the elements of `list` to `out` ("" separated by ':'), leaving ours out; remembers ours.
void splitPreloadList(const char* list, char* out, size_t capacity) noexcept {
    size_t used = 0;
    out[0] = '\0';
    for (const char* p = list; *p;) {
        size_t length = std::strcspn(p, ": ");
        if (length && isOwnPreloadElement(p, length)) {
            if (!gOwnPreload[0] && length < sizeof(gOwnPreload)) {
                std::memcpy(gOwnPreload, p, length);
                gOwnPreload[length] = '\0';
            }
        } else if (length && used + length + 2 < capacity) {
            if (used) out[used++] = ':';
            std::memcpy(out + used, p, length);
            used += length;
            out[used] = '\0';
        }
        p += length;
        if (*p) ++p;
    }
}

bool isTrackingVariable(const char* entry) noexcept { return std::strncmp(entry, "LEAKSCOPE_", 10) == 0; }

size_t nameLength(const char* entry) noexcept {
    const char* equals = std::strchr(entry, '=');
    return equals ? static_cast<size_t>(equals - entry) : std::strlen(entry);
}

bool hasVariable(char* const* envp, const char* entry) noexcept {
    size_t length = nameLength(entry);
    for (char* const* e = envp; e && *e; ++e)
        if (std::strncmp(*e, entry, length) == 0 && (*e)[length] == '=') return true;
    return false;
}

// An environment array (and the text of a merged LD_PRELOAD entry) mapped for one exec; released
// when the exec failed. mmap only: exec hooks may run in a vfork child.
class ExecEnvironment {
public:
    ~ExecEnvironment() {
        if (memory_) munmap(memory_, bytes_);
    }
    // Following children: `envp` plus our LD_PRELOAD element (first in the list, as the loader
    // needs it before the program's own preloads only for interposition order, which is what the
    // start of this process had) and the LEAKSCOPE_* settings the program's environment lacks. Not
    // following: `envp` without our element.
    // `record`: an entry for the next image of this process ("LEAKSCOPE_EXEC_RECORD=…", following
    // only; "" for none, and for a new process: posix_spawn, system, popen).
    char* const* prepare(char* const* envp, const char* record = "") noexcept {
        size_t count = 0;
        for (char* const* e = envp; e && *e; ++e) ++count;
        bool follow = config().follow_exec && gOwnPreload[0];
        size_t preload_text = std::strlen(gOwnPreload) + kPreloadPrefixLength + 2;
        for (char* const* e = envp; e && *e; ++e)
            if (isPreloadEntry(*e)) preload_text += std::strlen(*e);
        size_t array_bytes = (count + kRememberedEntries + 3) * sizeof(char*);
        bytes_ = array_bytes + preload_text;
        void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return envp;
        memory_ = memory;
        auto** array = static_cast<char**>(memory);
        char* text = static_cast<char*>(memory) + array_bytes;
        size_t used = 0;
        bool preload_seen = false;
        for (size_t i = 0; i < count; ++i) {
            const char* entry = envp[i];
            if (!isPreloadEntry(entry)) {
                array[used++] = const_cast<char*>(entry);
                continue;
            }
            if (preload_seen) continue;  // the loader reads the first one only
            preload_seen = true;
            if (follow && preloadListHasOwn(entry + kPreloadPrefixLength)) {
                array[used++] = const_cast<char*>(entry);
                continue;
            }
            std::memcpy(text, kPreloadPrefix, kPreloadPrefixLength + 1);
            if (follow) {
                std::strcat(text, gOwnPreload);
                if (entry[kPreloadPrefixLength]) std::strcat(text, ":");
            }
            splitPreloadList(entry + kPreloadPrefixLength, text + std::strlen(text), preload_text - std::strlen(text));
            size_t length = std::strlen(text);
            if (text[length - 1] == ':') text[--length] = '\0';
            // A list left empty by removing ours is dropped, as if it had never been there.
            if (length > kPreloadPrefixLength) array[used++] = text;
            text += length + 1;
        }
        if (follow) {
            if (!preload_seen) {
                std::memcpy(text, kPreloadPrefix, kPreloadPrefixLength);
                std::memcpy(text + kPreloadPrefixLength, gOwnPreload, std::strlen(gOwnPreload) + 1);
                array[used++] = text;
            }
            for (size_t i = 0; i < gRememberedCount; ++i)
                if (!hasVariable(envp, gRemembered[i])) array[used++] = const_cast<char*>(gRemembered[i]);
            if (record[0]) array[used++] = const_cast<char*>(record);
        }
        array[used] = nullptr;
        return array;
    }

private:
    void* memory_ = nullptr;
    size_t bytes_ = 0;
};

// system() and popen() start their shell through glibc's internal spawn, which reads `environ`
// directly and is not interposable: for the length of the call `environ` is the prepared
// environment. (Another thread's getenv during that call sees our settings too; a setenv from
// another thread during it is undone — the price of following these children at all.)
class EnvironmentForCall {
public:
    EnvironmentForCall() noexcept : saved_(environ) { environ = const_cast<char**>(prepared_.prepare(saved_)); }
    ~EnvironmentForCall() { environ = saved_; }
    EnvironmentForCall(const EnvironmentForCall&) = delete;
    EnvironmentForCall& operator=(const EnvironmentForCall&) = delete;

private:
    char** saved_;
    ExecEnvironment prepared_;
};

// Collects execl-style variadic arguments into an argv array (on the stack of the caller).
#define LEAKSCOPE_COLLECT_VARARGS(first, argv_name, after_null_env)                 \
    size_t argument_count = 1;                                                        \
    {                                                                                 \
        va_list count_arguments;                                                      \
        va_start(count_arguments, first);                                             \
        while (va_arg(count_arguments, const char*) != nullptr) ++argument_count;     \
        va_end(count_arguments);                                                      \
    }                                                                                 \
    auto** argv_name = static_cast<char**>(__builtin_alloca((argument_count + 1) * sizeof(char*))); \
    {                                                                                 \
        va_list arguments;                                                            \
        va_start(arguments, first);                                                   \
        argv_name[0] = const_cast<char*>(first);                                      \
        for (size_t i = 1; i <= argument_count; ++i) argv_name[i] = va_arg(arguments, char*); \
        after_null_env;                                                               \
        va_end(arguments);                                                            \
    }

}  // namespace

// An exec replaces this image: its process record becomes the `.exec-` one, named to the next image
// (lifecycle/ProcessRecord.h); given back if the exec fails.
template <typename Exec>
int replacingImage(Exec exec) noexcept {
    process_record::beforeExec();
    const int result = exec(process_record::predecessorEntry());
    ErrnoKeeper keep_errno;
    process_record::execFailed();
    return result;
}

void rememberTrackingEnvironment() noexcept {
    // Remembered, then taken out of the program's environ (the pointer array only: the strings and
    // /proc/self/environ stay as they were), so that getenv, environ and every environment the
    // program builds from it are what they are without the tool.
    size_t used = 0;
    char** kept = environ;
    for (char** e = environ; e && *e; ++e) {
        if (isTrackingVariable(*e)) {
            // The previous image's record (lifecycle/ProcessRecord.h) is this image's business only.
            if (std::strncmp(*e, "LEAKSCOPE_EXEC_RECORD=", 22) == 0) continue;
            size_t length = std::strlen(*e) + 1;
            if (gRememberedCount < kRememberedEntries && used + length <= kRememberedBytes) {
                std::memcpy(gRememberedText + used, *e, length);
                gRemembered[gRememberedCount++] = gRememberedText + used;
                used += length;
            }
            continue;
        }
        if (isPreloadEntry(*e) && preloadListHasOwn(*e + kPreloadPrefixLength)) {
            std::memcpy(gProgramPreload, kPreloadPrefix, kPreloadPrefixLength);
            splitPreloadList(*e + kPreloadPrefixLength, gProgramPreload + kPreloadPrefixLength,
                             sizeof(gProgramPreload) - kPreloadPrefixLength);
            if (!gProgramPreload[kPreloadPrefixLength]) continue;  // only ours: the variable goes
            *kept++ = gProgramPreload;
            continue;
        }
        *kept++ = *e;
    }
    if (kept) *kept = nullptr;
}

}  // namespace leakscope::preload

using leakscope::preload::EnvironmentForCall;
using leakscope::preload::ExecEnvironment;

LEAKSCOPE_EXPORT void _exit(int status) {
    leakscope::preload::takeImmediateExitSnapshot();
    static constinit leakscope::preload::RealFunction<void (*)(int)> real_function("_exit");
    auto real = real_function.get();
    real(status);
    __builtin_unreachable();
}

LEAKSCOPE_EXPORT void _Exit(int status) {
    leakscope::preload::takeImmediateExitSnapshot();
    static constinit leakscope::preload::RealFunction<void (*)(int)> real_function("_Exit");
    auto real = real_function.get();
    real(status);
    __builtin_unreachable();
}

LEAKSCOPE_EXPORT int dlclose(void* handle) {
    // Before the real dlclose: a library loaded and closed between two snapshots must still be in
    // the module map so that the stacks it left behind can be symbolized.
    leakscope::preload::module_map::refresh();
    static constinit leakscope::preload::RealFunction<int (*)(void*)> real_function("dlclose");
    auto real = real_function.get();
    int result = real(handle);
    // Modules a dlopen of a bare name loaded since the last pass (relocation/DlEntries.cpp).
    if (result == 0) leakscope::preload::relocation::redirectOptionalHooksInNewModules();
    // After the unmapping: a stack-walk rule cached for its code must not apply to the next library
    // mapped at the same address.
    leakscope::preload::cfi_walker::forgetUnloadedCode();
    return result;
}

LEAKSCOPE_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
    static constinit leakscope::preload::RealFunction<int (*)(const char*, char* const*, char* const*)> real_function("execve");
    auto real = real_function.get();
    return leakscope::preload::replacingImage([&](const char* record) {
        ExecEnvironment environment;
        return real(path, argv, environment.prepare(envp, record));
    });
}

LEAKSCOPE_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
    static constinit leakscope::preload::RealFunction<int (*)(const char*, char* const*, char* const*)> real_function("execvpe");
    auto real = real_function.get();
    return leakscope::preload::replacingImage([&](const char* record) {
        ExecEnvironment environment;
        return real(file, argv, environment.prepare(envp, record));
    });
}

LEAKSCOPE_EXPORT int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

LEAKSCOPE_EXPORT int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }

LEAKSCOPE_EXPORT int execl(const char* path, const char* arg, ...) {
    LEAKSCOPE_COLLECT_VARARGS(arg, argv, (void)0)
    return execve(path, argv, environ);
}

LEAKSCOPE_EXPORT int execlp(const char* file, const char* arg, ...) {
    LEAKSCOPE_COLLECT_VARARGS(arg, argv, (void)0)
    return execvpe(file, argv, environ);
}

LEAKSCOPE_EXPORT int execle(const char* path, const char* arg, ...) {
    char* const* envp = nullptr;
    LEAKSCOPE_COLLECT_VARARGS(arg, argv, envp = va_arg(arguments, char* const*))
    return execve(path, argv, envp);
}

LEAKSCOPE_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                                 const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
    static constinit leakscope::preload::RealFunction<int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                                            const posix_spawnattr_t*, char* const*, char* const*)> real_function("posix_spawn");
    auto real = real_function.get();
    ExecEnvironment environment;
    return real(pid, path, actions, attributes, argv, environment.prepare(envp));
}

LEAKSCOPE_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                                  const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
    static constinit leakscope::preload::RealFunction<int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                                            const posix_spawnattr_t*, char* const*, char* const*)> real_function("posix_spawnp");
    auto real = real_function.get();
    ExecEnvironment environment;
    return real(pid, file, actions, attributes, argv, environment.prepare(envp));
}

LEAKSCOPE_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
    static constinit leakscope::preload::RealFunction<int (*)(int, char* const*, char* const*)> real_function("fexecve");
    auto real = real_function.get();
    return leakscope::preload::replacingImage([&](const char* record) {
        ExecEnvironment environment;
        return real(fd, argv, environment.prepare(envp, record));
    });
}

LEAKSCOPE_EXPORT int system(const char* command) {
    static constinit leakscope::preload::RealFunction<int (*)(const char*)> real_function("system");
    auto real = real_function.get();
    EnvironmentForCall environment;
    return real(command);
}

LEAKSCOPE_EXPORT FILE* popen(const char* command, const char* mode) {
    static constinit leakscope::preload::RealFunction<FILE* (*)(const char*, const char*)> real_function("popen");
    auto real = real_function.get();
    FILE* stream;
    {
        EnvironmentForCall environment;
        stream = real(command, mode);
    }
    return leakscope::preload::handles::recordPopenedStream(stream);
}

// ---- calls that need a single-threaded process, and seccomp filters (Triggers.h) ----------------

namespace leakscope::preload {
namespace {

// unshare(CLONE_NEWUSER) and setns() fail with EINVAL in a multi-threaded process: the tool thread
// is stopped and joined first. The kernel may still count a joined thread for a moment after
// pthread_join returned (it is unlinked from the thread group after it released its tid), so EINVAL
// right after the stop is retried a few times.
template <typename Call>
int singleThreaded(Call call) noexcept {
    if (!trackerActive() || threadInsideTracker()) return call();
    triggers::pauseToolThread();
    int result = call();
    for (int attempt = 0; result == -1 && errno == EINVAL && attempt < 200; ++attempt) {
        sched_yield();
        result = call();
    }
    ErrnoKeeper keep_errno;
    triggers::resumeToolThread();
    return result;
}

// A seccomp filter goes in: the `sandbox` snapshot first, and nothing the filter could forbid after.
template <typename Call>
long installingFilter(Call call) noexcept {
    if (!trackerActive() || threadInsideTracker()) return call();
    triggers::enterSandbox();
    long result = call();
    if (result == -1) {
        ErrnoKeeper keep_errno;
        triggers::sandboxNotEntered();
    }
    return result;
}

}  // namespace
}  // namespace leakscope::preload

// main() ending with pthread_exit: the process lives on until its last thread exits, and glibc's last
// thread calls exit(0). The tool thread must not be that last thread — it would keep the process alive
// for ever (a hang the program never has). So it is stopped for good when the main thread leaves this
// way; snapshot requests then go to the process (any thread), and the exit snapshot is written at the
// real exit by the program's last thread (issue 15, section 3; issue 16).
LEAKSCOPE_EXPORT void pthread_exit(void* value) {
    static constinit leakscope::preload::RealFunction<void (*)(void*)> real_function("pthread_exit");
    auto real = real_function.get();
    if (leakscope::preload::trackerActive() && !leakscope::preload::threadInsideTracker() &&
        syscall(SYS_gettid) == getpid())
        leakscope::preload::triggers::pauseToolThread();
    real(value);
    __builtin_unreachable();
}

LEAKSCOPE_EXPORT int unshare(int flags) {
    static constinit leakscope::preload::RealFunction<int (*)(int)> real_function("unshare");
    auto real = real_function.get();
    if (!(flags & (CLONE_NEWUSER | CLONE_VM | CLONE_SIGHAND | CLONE_THREAD))) return real(flags);
    return leakscope::preload::singleThreaded([&] { return real(flags); });
}

LEAKSCOPE_EXPORT int setns(int fd, int type) {
    static constinit leakscope::preload::RealFunction<int (*)(int, int)> real_function("setns");
    auto real = real_function.get();
    return leakscope::preload::singleThreaded([&] { return real(fd, type); });
}

LEAKSCOPE_EXPORT int prctl(int option, ...) {
    va_list arguments;
    va_start(arguments, option);
    unsigned long a2 = va_arg(arguments, unsigned long), a3 = va_arg(arguments, unsigned long),
                  a4 = va_arg(arguments, unsigned long), a5 = va_arg(arguments, unsigned long);
    va_end(arguments);
    static constinit leakscope::preload::RealFunction<int (*)(int, ...)> real_function("prctl");
    auto real = real_function.get();
    if (option != PR_SET_SECCOMP) return real(option, a2, a3, a4, a5);
    return static_cast<int>(leakscope::preload::installingFilter([&] { return long(real(option, a2, a3, a4, a5)); }));
}

// libseccomp and others install filters with syscall(SYS_seccomp, ...), and may unshare that way.
LEAKSCOPE_EXPORT long syscall(long number, ...) {
    va_list arguments;
    va_start(arguments, number);
    long a[6];
    for (long& argument : a) argument = va_arg(arguments, long);
    va_end(arguments);
    static constinit leakscope::preload::RealFunction<long (*)(long, ...)> real_function("syscall");
    auto real = real_function.get();
    auto call = [&] { return real(number, a[0], a[1], a[2], a[3], a[4], a[5]); };
    if (number == SYS_seccomp && (a[0] == SECCOMP_SET_MODE_FILTER || a[0] == SECCOMP_SET_MODE_STRICT))
        return leakscope::preload::installingFilter(call);
    // A user switch through the raw call is not seen by the setuid hooks (no `uid-<N>` directory), but
    // the record says it happened while the process can still rename it.
    if (number == SYS_setuid || number == SYS_setreuid || number == SYS_setresuid)
        leakscope::preload::process_record::noteUserSwitch(static_cast<uid_t>(number == SYS_setuid ? a[0] : a[1]));
    if ((number == SYS_unshare && (a[0] & CLONE_NEWUSER)) || number == SYS_setns)
        return leakscope::preload::singleThreaded([&] { return static_cast<int>(call()); });
    return call();
}

// The crash handler stands in for the default action: a program asking what a signal does is told
// SIG_DFL, as without the tool (some decide from it whether to install their own).
LEAKSCOPE_EXPORT int sigaction(int signal_number, const struct sigaction* action, struct sigaction* previous) {
    static constinit leakscope::preload::RealFunction<int (*)(int, const struct sigaction*, struct sigaction*)> real_function("sigaction");
    auto real = real_function.get();
    int result = real(signal_number, action, previous);
    if (result == 0 && previous && leakscope::preload::triggers::isCrashHandler(*previous)) {
        previous->sa_handler = SIG_DFL;
        previous->sa_flags = 0;
        sigemptyset(&previous->sa_mask);
    }
    return result;
}
