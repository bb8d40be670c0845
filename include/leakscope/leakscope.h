/* leakscope public C API.
 *
 * A program may call these to mark lifecycle points. They cost one pointer check when leakscope is
 * not preloaded and need no library at link time: the functions are looked up with
 * dlsym(RTLD_DEFAULT) (in libc since glibc 2.34), so a binary built with this header runs the same
 * with and without the tool.
 *
 * The lookup runs at start, in a constructor of each translation unit that includes this header, not
 * at the first call: dlsym may take the loader's lock and allocate, so a first call from a signal
 * handler that interrupted malloc would deadlock (with or without the tool). After start both
 * functions are async-signal-safe as far as this header goes: a pointer load and a call. A call that
 * comes before the constructors ran (from another constructor) looks the function up then.
 *
 * Thread-safe: the lookup is idempotent and the pointer store is a single word.
 */
#ifndef LEAKSCOPE_LEAKSCOPE_H
#define LEAKSCOPE_LEAKSCOPE_H

#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RTLD_DEFAULT without requiring _GNU_SOURCE before the first system header. */
#define LEAKSCOPE_RTLD_DEFAULT_ ((void *)0)

typedef void (*leakscope_snapshot_fn_)(const char *);
typedef int (*leakscope_active_fn_)(void);

/* One copy per translation unit (static): the header needs no library and no definition elsewhere. */
static void *leakscope_snapshot_ptr_;
static void *leakscope_active_ptr_;
static int leakscope_looked_up_;

static inline void leakscope_look_up_(void) {
    __atomic_store_n(&leakscope_snapshot_ptr_, dlsym(LEAKSCOPE_RTLD_DEFAULT_, "leakscope_preload_snapshot"),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&leakscope_active_ptr_, dlsym(LEAKSCOPE_RTLD_DEFAULT_, "leakscope_preload_active"),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&leakscope_looked_up_, 1, __ATOMIC_RELEASE);
}

__attribute__((constructor, used)) static void leakscope_look_up_at_start_(void) { leakscope_look_up_(); }

static inline void *leakscope_function_(void **slot) {
    if (!__atomic_load_n(&leakscope_looked_up_, __ATOMIC_ACQUIRE)) leakscope_look_up_();
    return __atomic_load_n(slot, __ATOMIC_RELAXED);
}

/* Writes a snapshot of every live allocation and handle, labelled `label` (at most 63 bytes are kept;
 * NULL means "snapshot"). Snapshots with the same label form the series that `leakscope report` checks
 * for per-cycle growth, so call it once per cycle at the same phase. Returns after the file is written.
 * A no-op when the preload is absent. May be called from a signal handler (the tool then writes the
 * snapshot when the interrupted code leaves the tracker, or on the spot when it was not inside it; a
 * call from a handler while such a deferred snapshot is still pending is merged into it, the first
 * label kept, and counted: the report then notes how many requests were merged).
 * A snapshot takes milliseconds: from a timer's handler, keep the timer slower than that, or the
 * handler runs again as soon as it returns and the interrupted thread never gets to run. */
static inline void leakscope_snapshot(const char *label) {
    void *fn = leakscope_function_(&leakscope_snapshot_ptr_);
    if (fn) ((leakscope_snapshot_fn_)fn)(label);
}

/* 1 when libleakscope.so is preloaded and tracking this process, 0 otherwise. */
static inline int leakscope_active(void) {
    void *fn = leakscope_function_(&leakscope_active_ptr_);
    return fn ? ((leakscope_active_fn_)fn)() : 0;
}

#ifdef __cplusplus
}
#endif

#endif /* LEAKSCOPE_LEAKSCOPE_H */
