/* AtomVM v0.6.6 (PR 1555, commit a639cbc6, merged as 33af0563), the fixed variant. Facts from upstream
 * src/libAtomVM/context.c, nifs.c and scheduler.c after the fix; the code is this port's.
 *
 * Every link and monitor is a record on both sides. A process edits only its own list: it asks a peer to
 * add or remove a record by a signal (MonitorSignal, UnlinkSignal, DemonitorSignal upstream) that the
 * peer carries out itself before its next step, or while it terminates. A dying process sends its linked
 * peers an unlink signal, its watchers a demonitor signal with their DOWN, and the processes it watched a
 * demonitor signal: no record about a dead process survives on a live one. */
#include <stdlib.h>

#include "globalcontext.h"
#include "process_model.h"

static struct Monitor *monitor_alloc(uint64_t ref_ticks, term monitor_obj)
{
    struct Monitor *monitor = malloc(sizeof(struct Monitor));
    if (monitor == NULL) {
        return NULL;
    }
    monitor_count_allocated();
    list_init(&monitor->monitor_list_head);
    monitor->ref_ticks = ref_ticks;
    monitor->monitor_obj = monitor_obj;
    return monitor;
}

static __attribute__((noinline)) struct Monitor *monitor_link_new(term link_pid)
{
    return monitor_alloc(0, link_pid);
}

static __attribute__((noinline)) struct Monitor *monitor_new(term monitor_pid, uint64_t ref_ticks, bool is_monitoring)
{
    term tag = is_monitoring ? CONTEXT_MONITOR_MONITORING_PID_TAG : CONTEXT_MONITOR_MONITORED_PID_TAG;
    return monitor_alloc(ref_ticks, (monitor_pid << 4) | tag);
}

static int32_t monitor_peer_pid(const struct Monitor *monitor)
{
    return (int32_t) (monitor_is_link(monitor) ? monitor->monitor_obj : monitor->monitor_obj >> 4);
}

static bool monitor_is_monitoring(const struct Monitor *monitor)
{
    return !monitor_is_link(monitor) && (monitor->monitor_obj & 0x3) == CONTEXT_MONITOR_MONITORING_PID_TAG;
}

/* Adds a record to ctx's own list; a second link to the same pid is dropped (a link exists once). */
static void context_add_monitor(Context *ctx, struct Monitor *new_monitor)
{
    if (monitor_is_link(new_monitor)) {
        struct ListHead *item;
        LIST_FOR_EACH (item, &ctx->monitors_head) {
            struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
            if (monitor_is_link(monitor) && monitor->monitor_obj == new_monitor->monitor_obj) {
                monitor_free(new_monitor);
                return;
            }
        }
    }
    list_append(&ctx->monitors_head, &new_monitor->monitor_list_head);
}

/* ctx's own monitor record (either side) with this reference, or NULL. */
static struct Monitor *context_find_monitor(Context *ctx, uint64_t ref_ticks)
{
    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (!monitor_is_link(monitor) && monitor->ref_ticks == ref_ticks) {
            return monitor;
        }
    }
    return NULL;
}

static void context_demonitor(Context *ctx, uint64_t ref_ticks)
{
    monitor_free(context_find_monitor(ctx, ref_ticks));
}

static void send_ref_signal(Context *target, MessageKind kind, int32_t from_pid, uint64_t ref_ticks)
{
    Message signal = { .kind = kind, .from_pid = from_pid, .ref_ticks = ref_ticks };
    context_send_signal(target, &signal);
}

static __attribute__((noinline)) Context *do_spawn(Context *ctx, Context *new_ctx, SpawnOptions opts,
                                                   uint64_t *ref_ticks)
{
    /* The child has not run yet, so the parent may still fill its list directly, as upstream does. */
    struct Monitor *child_link = opts.link ? monitor_link_new(ctx->process_id) : NULL;
    struct Monitor *parent_link = opts.link ? monitor_link_new(new_ctx->process_id) : NULL;
    uint64_t ref = opts.monitor ? globalcontext_get_ref_ticks(ctx->global) : 0;
    struct Monitor *child_monitor = opts.monitor ? monitor_new(ctx->process_id, ref, false) : NULL;
    struct Monitor *parent_monitor = opts.monitor ? monitor_new(new_ctx->process_id, ref, true) : NULL;
    if (opts.link && (child_link == NULL || parent_link == NULL)) {
        goto out_of_memory;
    }
    if (opts.monitor && (child_monitor == NULL || parent_monitor == NULL)) {
        goto out_of_memory;
    }
    if (opts.link) {
        context_add_monitor(new_ctx, child_link);
        context_add_monitor(ctx, parent_link);
    }
    if (opts.monitor) {
        context_add_monitor(new_ctx, child_monitor);
        context_add_monitor(ctx, parent_monitor);
        if (ref_ticks != NULL) {
            *ref_ticks = ref;
        }
    }
    return new_ctx;

out_of_memory:
    monitor_free(child_link);
    monitor_free(parent_link);
    monitor_free(child_monitor);
    monitor_free(parent_monitor);
    process_discard_unstarted(new_ctx);
    return NULL;
}

static __attribute__((noinline)) uint64_t nif_erlang_monitor(Context *ctx, int32_t target_pid)
{
    uint64_t ref_ticks = globalcontext_get_ref_ticks(ctx->global);
    Context *target = globalcontext_get_process(ctx->global, target_pid);
    if (target == NULL) {
        process_send_down(ctx, ref_ticks, target_pid, EXIT_REASON_NOPROC);
        return ref_ticks;
    }
    struct Monitor *self_record = monitor_new(target_pid, ref_ticks, true);
    struct Monitor *target_record = monitor_new(ctx->process_id, ref_ticks, false);
    if (self_record == NULL || target_record == NULL) {
        monitor_free(self_record);
        monitor_free(target_record);
        return 0;
    }
    context_add_monitor(ctx, self_record);
    Message signal = { .kind = SIGNAL_MONITOR, .from_pid = ctx->process_id, .monitor = target_record };
    context_send_signal(target, &signal);
    return ref_ticks;
}

static __attribute__((noinline)) bool nif_erlang_demonitor(Context *ctx, uint64_t ref_ticks)
{
    struct Monitor *monitor = context_find_monitor(ctx, ref_ticks);
    if (monitor == NULL || !monitor_is_monitoring(monitor)) {
        return false; /* only the watcher may remove a monitor */
    }
    Context *target = globalcontext_get_process(ctx->global, monitor_peer_pid(monitor));
    if (target != NULL) {
        send_ref_signal(target, SIGNAL_DEMONITOR, ctx->process_id, ref_ticks);
    }
    monitor_free(monitor);
    return true;
}

static __attribute__((noinline)) bool nif_erlang_link(Context *ctx, int32_t pid)
{
    Context *target = globalcontext_get_process(ctx->global, pid);
    if (target == NULL) {
        return false;
    }
    struct Monitor *self_link = monitor_link_new(pid);
    struct Monitor *target_link = monitor_link_new(ctx->process_id);
    if (self_link == NULL || target_link == NULL) {
        monitor_free(self_link);
        monitor_free(target_link);
        return false;
    }
    context_add_monitor(ctx, self_link);
    Message signal = { .kind = SIGNAL_MONITOR, .from_pid = ctx->process_id, .monitor = target_link };
    context_send_signal(target, &signal);
    return true;
}

static __attribute__((noinline)) void nif_erlang_unlink(Context *ctx, int32_t pid)
{
    context_unlink(ctx, pid);
    Context *target = globalcontext_get_process(ctx->global, pid);
    if (target != NULL) {
        send_ref_signal(target, SIGNAL_UNLINK, ctx->process_id, 0);
    }
}

static __attribute__((noinline)) void context_monitors_handle_terminate(Context *ctx)
{
    GlobalContext *global = ctx->global;
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        Context *target = globalcontext_get_process(global, monitor_peer_pid(monitor));
        if (target != NULL) {
            if (monitor_is_link(monitor)) {
                /* The peer drops its half link itself, whatever the reason and its trap_exit. */
                send_ref_signal(target, SIGNAL_UNLINK, ctx->process_id, 0);
                if (target->trap_exit || ctx->exit_reason != EXIT_REASON_NORMAL) {
                    context_exit_signal(target, ctx->process_id, ctx->exit_reason);
                    global->counters.exit_signals++;
                }
            } else if (monitor_is_monitoring(monitor)) {
                /* ctx watched target: target drops its record of the watcher. */
                send_ref_signal(target, SIGNAL_DEMONITOR, ctx->process_id, monitor->ref_ticks);
            } else {
                /* target watched ctx: it drops its record and gets the DOWN. */
                send_ref_signal(target, SIGNAL_DEMONITOR, ctx->process_id, monitor->ref_ticks);
                process_send_down(target, monitor->ref_ticks, ctx->process_id, ctx->exit_reason);
            }
        }
        monitor_free(monitor);
    }
}

static void process_signal(Context *ctx, const Message *signal)
{
    switch (signal->kind) {
        case SIGNAL_MONITOR:
            context_add_monitor(ctx, signal->monitor);
            break;
        case SIGNAL_UNLINK:
            context_unlink(ctx, signal->from_pid);
            break;
        case SIGNAL_DEMONITOR:
            context_demonitor(ctx, signal->ref_ticks);
            break;
        default:
            break;
    }
}

const ProcessModel process_model_v066 = {
    .version = "v0.6.6",
    .do_spawn = do_spawn,
    .monitor = nif_erlang_monitor,
    .demonitor = nif_erlang_demonitor,
    .link = nif_erlang_link,
    .unlink = nif_erlang_unlink,
    .handle_terminate = context_monitors_handle_terminate,
    .process_signal = process_signal,
};
