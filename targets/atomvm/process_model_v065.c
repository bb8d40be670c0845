/* AtomVM up to v0.6.5 (before PR 1555), the buggy variant. Facts from upstream src/libAtomVM/context.c
 * and nifs.c at 7607279c (the parent of the fix a639cbc6); the code is this port's.
 *
 * A link is a record on each side (context_link, from do_spawn for spawn_link and from nif_erlang_link).
 * A monitor is one record, on the MONITORED process, naming the watcher (context_monitor, from
 * nif_erlang_monitor and from do_spawn for spawn_monitor); the watcher holds nothing. Any process edits
 * any other's list. The dying process walks its own records and frees them; of its peers' records it
 * removes only the link record of a peer that traps exits. So:
 * - a non-trapping process keeps the link record of every linked process that exited normally;
 * - a monitored process keeps the record of every watcher that died before it (upstream's TODO: "we
 *   should scan for existing monitors when a context is destroyed otherwise memory might be wasted for
 *   long living processes"). */
#include <stdlib.h>

#include "globalcontext.h"
#include "process_model.h"

/* Adds a half link to link_pid on ctx, unless there already is one. 0, or -1 when memory is exhausted. */
static __attribute__((noinline)) int context_link(Context *ctx, term link_pid)
{
    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (monitor_is_link(monitor) && monitor->monitor_obj == link_pid) {
            return 0;
        }
    }
    struct Monitor *monitor = malloc(sizeof(struct Monitor));
    if (monitor == NULL) {
        return -1;
    }
    monitor_count_allocated();
    monitor->monitor_obj = link_pid;
    monitor->ref_ticks = 0;
    list_append(&ctx->monitors_head, &monitor->monitor_list_head);
    return 0;
}

/* Puts a monitor on ctx (the monitored process) for watcher_pid. The reference, or 0 when memory is
 * exhausted. */
static __attribute__((noinline)) uint64_t context_monitor(Context *ctx, term watcher_pid)
{
    uint64_t ref_ticks = globalcontext_get_ref_ticks(ctx->global);
    struct Monitor *monitor = malloc(sizeof(struct Monitor));
    if (monitor == NULL) {
        return 0;
    }
    monitor_count_allocated();
    monitor->monitor_obj = watcher_pid;
    monitor->ref_ticks = ref_ticks;
    list_append(&ctx->monitors_head, &monitor->monitor_list_head);
    return ref_ticks;
}

/* demonitor before the fix: search every process's list for the reference. */
static bool globalcontext_demonitor(GlobalContext *global, uint64_t ref_ticks)
{
    struct ListHead *process_item;
    LIST_FOR_EACH (process_item, &global->processes_table) {
        Context *process = GET_LIST_ENTRY(process_item, Context, processes_table_head);
        struct ListHead *item;
        LIST_FOR_EACH (item, &process->monitors_head) {
            struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
            if (monitor->ref_ticks == ref_ticks) {
                monitor_free(monitor);
                return true;
            }
        }
    }
    return false;
}

/* The options part of spawn_opt, on a child that exists but has not run. */
static __attribute__((noinline)) Context *do_spawn(Context *ctx, Context *new_ctx, SpawnOptions opts,
                                                   uint64_t *ref_ticks)
{
    if (opts.link) {
        if (context_link(new_ctx, ctx->process_id) < 0 || context_link(ctx, new_ctx->process_id) < 0) {
            context_unlink(ctx, new_ctx->process_id);
            process_discard_unstarted(new_ctx);
            return NULL;
        }
    }
    if (opts.monitor) {
        uint64_t ref = context_monitor(new_ctx, ctx->process_id);
        if (ref == 0) {
            context_unlink(ctx, new_ctx->process_id);
            process_discard_unstarted(new_ctx);
            return NULL;
        }
        if (ref_ticks != NULL) {
            *ref_ticks = ref;
        }
    }
    return new_ctx;
}

static __attribute__((noinline)) uint64_t nif_erlang_monitor(Context *ctx, int32_t target_pid)
{
    Context *target = globalcontext_get_process(ctx->global, target_pid);
    if (target == NULL) {
        uint64_t ref_ticks = globalcontext_get_ref_ticks(ctx->global);
        process_send_down(ctx, ref_ticks, target_pid, EXIT_REASON_NOPROC);
        return ref_ticks;
    }
    return context_monitor(target, ctx->process_id);
}

static __attribute__((noinline)) bool nif_erlang_demonitor(Context *ctx, uint64_t ref_ticks)
{
    return globalcontext_demonitor(ctx->global, ref_ticks);
}

static __attribute__((noinline)) bool nif_erlang_link(Context *ctx, int32_t pid)
{
    Context *target = globalcontext_get_process(ctx->global, pid);
    if (target == NULL || context_link(target, ctx->process_id) < 0) {
        return false;
    }
    if (context_link(ctx, pid) < 0) {
        context_unlink(target, ctx->process_id);
        return false;
    }
    return true;
}

static __attribute__((noinline)) void nif_erlang_unlink(Context *ctx, int32_t pid)
{
    Context *target = globalcontext_get_process(ctx->global, pid);
    if (target != NULL) {
        context_unlink(target, ctx->process_id);
    }
    context_unlink(ctx, pid);
}

static __attribute__((noinline)) void context_monitors_handle_terminate(Context *ctx)
{
    GlobalContext *global = ctx->global;
    struct ListHead *item;
    struct ListHead *tmp;
    MUTABLE_LIST_FOR_EACH (item, tmp, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        Context *target = globalcontext_get_process(global, (int32_t) monitor->monitor_obj);
        if (target != NULL) {
            if (monitor_is_link(monitor)) {
                if (target->trap_exit) {
                    /* The one case where the peer's half link goes: the dying process removes it. */
                    context_unlink(target, ctx->process_id);
                    context_exit_signal(target, ctx->process_id, ctx->exit_reason);
                    global->counters.exit_signals++;
                } else if (ctx->exit_reason != EXIT_REASON_NORMAL) {
                    context_exit_signal(target, ctx->process_id, ctx->exit_reason);
                    global->counters.exit_signals++;
                }
                /* A normal exit and a non-trapping peer: nothing is sent, and the peer's half link to
                 * this pid stays on its list for as long as the peer lives. */
            } else {
                process_send_down(target, monitor->ref_ticks, ctx->process_id, ctx->exit_reason);
            }
        }
        monitor_free(monitor);
    }
}

static void process_signal_unused(Context *ctx, const Message *signal)
{
    /* Before the fix nobody sends these signals; drop one safely if it ever arrives. */
    (void) ctx;
    monitor_free(signal->monitor);
}

const ProcessModel process_model_v065 = {
    .version = "v0.6.5",
    .do_spawn = do_spawn,
    .monitor = nif_erlang_monitor,
    .demonitor = nif_erlang_demonitor,
    .link = nif_erlang_link,
    .unlink = nif_erlang_unlink,
    .handle_terminate = context_monitors_handle_terminate,
    .process_signal = process_signal_unused,
};
