#include "monitor.h"

#include <stdlib.h>

#include "context.h"

/* Single-threaded runtime (one cooperative scheduler), so a plain counter is exact. */
static uint64_t live_records;

static struct Monitor *monitor_alloc(int32_t pid, uint64_t ref_ticks, bool is_monitoring)
{
    struct Monitor *monitor = malloc(sizeof(struct Monitor));
    if (monitor == NULL) {
        return NULL;
    }
    list_init(&monitor->monitor_list_head);
    monitor->monitor_pid = pid;
    monitor->is_monitoring = is_monitoring;
    monitor->ref_ticks = ref_ticks;
    live_records++;
    return monitor;
}

/* Kept out of line (and separate from monitor_new) so that each kind of record has its own creation
 * frame in the tracker's stacks. */
__attribute__((noinline)) struct Monitor *monitor_link_new(int32_t link_pid)
{
    return monitor_alloc(link_pid, 0, false);
}

__attribute__((noinline)) struct Monitor *monitor_new(int32_t monitor_pid, uint64_t ref_ticks, bool is_monitoring)
{
    return monitor_alloc(monitor_pid, ref_ticks, is_monitoring);
}

void monitor_destroy(struct Monitor *monitor)
{
    if (monitor == NULL) {
        return;
    }
    list_remove(&monitor->monitor_list_head);
    free(monitor);
    live_records--;
}

void context_add_monitor(Context *ctx, struct Monitor *monitor)
{
    list_append(&ctx->monitors_head, &monitor->monitor_list_head);
}

struct Monitor *context_find_monitor(Context *ctx, int32_t pid, uint64_t ref_ticks)
{
    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (monitor->monitor_pid == pid && monitor->ref_ticks == ref_ticks) {
            return monitor;
        }
    }
    return NULL;
}

__attribute__((noinline)) bool context_unlink(Context *ctx, int32_t link_pid)
{
    struct Monitor *link = context_find_monitor(ctx, link_pid, 0);
    if (link == NULL) {
        return false;
    }
    monitor_destroy(link);
    return true;
}

__attribute__((noinline)) bool context_demonitor(Context *ctx, uint64_t ref_ticks)
{
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (!monitor_is_link(monitor) && monitor->ref_ticks == ref_ticks) {
            monitor_destroy(monitor);
            return true;
        }
    }
    return false;
}

void context_free_monitors(Context *ctx)
{
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &ctx->monitors_head) {
        monitor_destroy(GET_LIST_ENTRY(item, struct Monitor, monitor_list_head));
    }
}

uint64_t monitor_live_records(void)
{
    return live_records;
}
