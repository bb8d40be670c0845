/* leakscope public C API.
 *
 * A program may call these to mark lifecycle points. They cost one pointer check when leakscope is
 * not preloaded and need no library at link time: the functions are looked up once, at first call,
 * with dlsym(RTLD_DEFAULT) (in libc since glibc 2.34), so a binary built with this header runs the same
 * with and without the tool.
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

static inline void *leakscope_resolve_(const char *name) {
    return dlsym(LEAKSCOPE_RTLD_DEFAULT_, name);
}

/* Writes a snapshot of every live allocation and handle, labelled `label` (at most 63 bytes are kept;
 * NULL means "snapshot"). Snapshots with the same label form the series that `leakscope report` checks
 * for per-cycle growth, so call it once per cycle at the same phase. Returns after the file is written.
 * A no-op when the preload is absent. */
static inline void leakscope_snapshot(const char *label) {
    static void *resolved_;
    static int looked_up_;
    if (!__atomic_load_n(&looked_up_, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&resolved_, leakscope_resolve_("leakscope_preload_snapshot"), __ATOMIC_RELAXED);
        __atomic_store_n(&looked_up_, 1, __ATOMIC_RELEASE);
    }
    void *fn = __atomic_load_n(&resolved_, __ATOMIC_RELAXED);
    if (fn) ((leakscope_snapshot_fn_)fn)(label);
}

/* 1 when libleakscope.so is preloaded and tracking this process, 0 otherwise. */
static inline int leakscope_active(void) {
    void *fn = leakscope_resolve_("leakscope_preload_active");
    return fn ? ((leakscope_active_fn_)fn)() : 0;
}

#ifdef __cplusplus
}
#endif

#endif /* LEAKSCOPE_LEAKSCOPE_H */
