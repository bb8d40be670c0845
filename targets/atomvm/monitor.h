/* Link and monitor records: the entries of a context's `monitors_head` list.
 *
 * As in AtomVM, a link is a record on each of the two linked processes with ref_ticks == 0, and a monitor
 * is a record on each side carrying the monitor reference (a fresh tick of the global counter, never 0):
 * the monitored side uses its record to send DOWN when it dies, the monitoring side uses its own to
 * demonitor. The size of struct Monitor is part of the contract with the integration tests: the buggy
 * variant leaves exactly one of these per link and per monitor on the surviving process. */
#ifndef ATOMVM_PORT_MONITOR_H
#define ATOMVM_PORT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

#ifdef __cplusplus
extern "C" {
#endif

struct Context;

struct Monitor {
    struct ListHead monitor_list_head; /* node in the owner's monitors_head */
    int32_t monitor_pid;               /* the other process */
    bool is_monitoring;                /* monitor records only: true on the watcher's side */
    uint64_t ref_ticks;                /* monitor reference; 0 for a link */
};

/* A link record pointing at `link_pid`. NULL when memory is exhausted. */
struct Monitor *monitor_link_new(int32_t link_pid);

/* A monitor record pointing at `monitor_pid` with reference `ref_ticks` (> 0). NULL when memory is
 * exhausted. */
struct Monitor *monitor_new(int32_t monitor_pid, uint64_t ref_ticks, bool is_monitoring);

/* Frees a record (NULL is ignored), taking it off whatever list holds it. */
void monitor_destroy(struct Monitor *monitor);

static inline bool monitor_is_link(const struct Monitor *monitor)
{
    return monitor->ref_ticks == 0;
}

/* Takes ownership of `monitor` and adds it to ctx's record list. */
void context_add_monitor(struct Context *ctx, struct Monitor *monitor);

/* Removes and frees ctx's link record to `link_pid`; false when there is none. */
bool context_unlink(struct Context *ctx, int32_t link_pid);

/* Removes and frees ctx's monitor record with reference `ref_ticks`; false when there is none. */
bool context_demonitor(struct Context *ctx, uint64_t ref_ticks);

/* The record of ctx that points at `pid` and has reference `ref_ticks` (0: the link), or NULL. */
struct Monitor *context_find_monitor(struct Context *ctx, int32_t pid, uint64_t ref_ticks);

/* Frees every record on ctx's list without telling anyone (the last step of termination, and shutdown). */
void context_free_monitors(struct Context *ctx);

/* Number of records currently allocated in the process (all contexts): what tests compare across runs. */
uint64_t monitor_live_records(void);

#ifdef __cplusplus
}
#endif

#endif
