#include "monitor.h"

#include <stdlib.h>

#include "context.h"

/* Single-threaded runtime (one cooperative scheduler), so a plain counter is exact. */
static uint64_t live_records;

void monitor_count_allocated(void)
{
    live_records++;
}

void monitor_free(struct Monitor *monitor)
{
    if (monitor == NULL) {
        return;
    }
    list_remove(&monitor->monitor_list_head);
    free(monitor);
    live_records--;
}

uint64_t monitor_live_records(void)
{
    return live_records;
}

__attribute__((noinline)) void context_unlink(Context *ctx, int32_t link_pid)
{
    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (monitor_is_link(monitor) && monitor->monitor_obj == link_pid) {
            monitor_free(monitor);
            return;
        }
    }
}

void context_free_monitors(Context *ctx)
{
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &ctx->monitors_head) {
        monitor_free(GET_LIST_ENTRY(item, struct Monitor, monitor_list_head));
    }
}
