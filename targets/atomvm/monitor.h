/* Link and monitor records: the entries of a context's `monitors_head` list, and the two generations of
 * code that create and remove them.
 *
 * The record is AtomVM's `struct Monitor` (src/libAtomVM/context.h), 32 bytes on 64-bit: a list node,
 * the monitor reference (`ref_ticks`, 0 for a link) and `monitor_obj`, a term naming the other process.
 * Its size is part of the contract with the integration tests: the buggy variant leaves exactly one of
 * these per dead peer on the surviving process.
 *
 * What `monitor_obj` means differs between the two generations:
 * - v0.6.5 and before (the buggy variant, process_model_v065.c): always a pid. A link is a record on each
 *   side; a monitor is ONE record, on the monitored process, naming the watcher.
 * - v0.6.6, PR 1555 (the fixed variant, process_model_v066.c): a pid for a link; for a monitor the pid
 *   shifted by 4 and tagged MONITORING (the watcher's record) or MONITORED (the target's record). */
#ifndef ATOMVM_PORT_MONITOR_H
#define ATOMVM_PORT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t term;

struct Context;

struct Monitor {
    struct ListHead monitor_list_head; /* node in the owner's monitors_head */
    uint64_t ref_ticks;                /* monitor reference; 0 for a link */
    term monitor_obj;                  /* see above */
};

#define CONTEXT_MONITOR_MONITORING_PID_TAG 0x1
#define CONTEXT_MONITOR_MONITORED_PID_TAG 0x3

static inline bool monitor_is_link(const struct Monitor *monitor)
{
    return monitor->ref_ticks == 0;
}

/* Removes and frees ctx's link record to `link_pid`, if any. Both generations have it; before the fix
 * another process's termination called it on ctx, after the fix only ctx itself does. */
void context_unlink(struct Context *ctx, int32_t link_pid);

/* Frees every record on ctx's list without telling anyone (the last step of termination, and shutdown). */
void context_free_monitors(struct Context *ctx);

/* Takes a record off whatever list holds it and frees it (NULL is ignored). */
void monitor_free(struct Monitor *monitor);

/* Counts every record allocated and not yet freed, in all contexts: what the tests compare. Whoever
 * mallocs a record calls monitor_count_allocated; monitor_free counts the free. */
void monitor_count_allocated(void);
uint64_t monitor_live_records(void);

#ifdef __cplusplus
}
#endif

#endif
