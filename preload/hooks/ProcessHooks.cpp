// Process boundaries: _exit/_Exit (exit snapshot), dlclose (module map refresh first), and the exec
// family + posix_spawn (LEAKSCOPE_FOLLOW_EXEC: keep or drop LD_PRELOAD in the new image's
// environment). exec hooks may run in a vfork child: they allocate only with mmap.
#include <atomic>
#include <cstdarg>
#include <cstring>
#include <dlfcn.h>
#include <spawn.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unwind/CfiWalker.h"
#include "lifecycle/Config.h"
#include "unwind/ModuleMap.h"
#include "hooks/RealFunctions.h"
#include "hooks/Export.h"
#include "tracker/TrackerCore.h"
#include "tracker/TrackerInternals.h"


extern char** environ;

namespace leakscope::preload {
namespace {

// The tracking variables as they were when this process started (LD_PRELOAD and LEAKSCOPE_*), to
// put back into an exec'd environment the program built without them.
constexpr size_t kRememberedBytes = 16 * 1024;
constexpr size_t kRememberedEntries = 32;
char gRememberedText[kRememberedBytes];
const char* gRemembered[kRememberedEntries];
size_t gRememberedCount = 0;

bool isTrackingVariable(const char* entry) noexcept {
    return std::strncmp(entry, "LD_PRELOAD=", 11) == 0 || std::strncmp(entry, "LEAKSCOPE_", 10) == 0;
}

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

// An environment array mapped for one exec; released when the exec failed.
class ExecEnvironment {
public:
    ~ExecEnvironment() {
        if (array_) munmap(array_, bytes_);
    }
    char* const* prepare(char* const* envp) noexcept {
        size_t count = 0;
        for (char* const* e = envp; e && *e; ++e) ++count;
        bool follow = config().follow_exec;
        if (follow && hasVariable(envp, "LD_PRELOAD=")) return envp;  // the usual case: nothing to do
        bytes_ = (count + kRememberedEntries + 1) * sizeof(char*);
        void* memory = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return envp;
        array_ = static_cast<char**>(memory);
        size_t used = 0;
        for (size_t i = 0; i < count; ++i)
            if (follow || std::strncmp(envp[i], "LD_PRELOAD=", 11) != 0) array_[used++] = envp[i];
        if (follow) {
            for (size_t i = 0; i < gRememberedCount; ++i)
                if (!hasVariable(envp, gRemembered[i])) array_[used++] = const_cast<char*>(gRemembered[i]);
        }
        array_[used] = nullptr;
        return array_;
    }

private:
    char** array_ = nullptr;
    size_t bytes_ = 0;
};

// The real function behind a hook, looked up once. A plain atomic slot rather than a function-local
// static: no __cxa_guard, which must not be entered from a vfork child or a half-dead process.
template <typename Function>
Function realFunction(std::atomic<void*>& slot, const char* name) noexcept {
    void* function = slot.load(std::memory_order_acquire);
    if (!function) {
        function = resolveNext(name);
        slot.store(function, std::memory_order_release);
    }
    return reinterpret_cast<Function>(function);
}

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

void rememberTrackingEnvironment() noexcept {
    size_t used = 0;
    for (char** e = environ; e && *e && gRememberedCount < kRememberedEntries; ++e) {
        if (!isTrackingVariable(*e)) continue;
        size_t length = std::strlen(*e) + 1;
        if (used + length > kRememberedBytes) break;
        std::memcpy(gRememberedText + used, *e, length);
        gRemembered[gRememberedCount++] = gRememberedText + used;
        used += length;
    }
}

}  // namespace leakscope::preload

using leakscope::preload::ExecEnvironment;
using leakscope::preload::realFunction;

LEAKSCOPE_EXPORT void _exit(int status) {
    leakscope::preload::takeExitSnapshot();
    static std::atomic<void*> slot;
    auto real = realFunction<void (*)(int)>(slot, "_exit");
    real(status);
    __builtin_unreachable();
}

LEAKSCOPE_EXPORT void _Exit(int status) {
    leakscope::preload::takeExitSnapshot();
    static std::atomic<void*> slot;
    auto real = realFunction<void (*)(int)>(slot, "_Exit");
    real(status);
    __builtin_unreachable();
}

LEAKSCOPE_EXPORT int dlclose(void* handle) {
    // Before the real dlclose: a library loaded and closed between two snapshots must still be in
    // the module map so that the stacks it left behind can be symbolized.
    leakscope::preload::module_map::refresh();
    static std::atomic<void*> slot;
    auto real = realFunction<int (*)(void*)>(slot, "dlclose");
    int result = real(handle);
    // After the unmapping: a stack-walk rule cached for its code must not apply to the next library
    // mapped at the same address.
    leakscope::preload::cfi_walker::forgetUnloadedCode();
    return result;
}

LEAKSCOPE_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
    static std::atomic<void*> slot;
    auto real = realFunction<int (*)(const char*, char* const*, char* const*)>(slot, "execve");
    ExecEnvironment environment;
    return real(path, argv, environment.prepare(envp));
}

LEAKSCOPE_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
    static std::atomic<void*> slot;
    auto real = realFunction<int (*)(const char*, char* const*, char* const*)>(slot, "execvpe");
    ExecEnvironment environment;
    return real(file, argv, environment.prepare(envp));
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
    static std::atomic<void*> slot;
    auto real = realFunction<int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                                            const posix_spawnattr_t*, char* const*, char* const*)>(slot, "posix_spawn");
    ExecEnvironment environment;
    return real(pid, path, actions, attributes, argv, environment.prepare(envp));
}

LEAKSCOPE_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                                  const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
    static std::atomic<void*> slot;
    auto real = realFunction<int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                                            const posix_spawnattr_t*, char* const*, char* const*)>(slot, "posix_spawnp");
    ExecEnvironment environment;
    return real(pid, file, actions, attributes, argv, environment.prepare(envp));
}
