#include "erlang.h"

#include "monitor.h"

__attribute__((noinline)) Context *erlang_spawn(GlobalContext *global, ProcessBody body, term arg0, term arg1)
{
    Context *ctx = context_new(global, body, ERLANG_PROCESS_HEAP_WORDS);
    if (ctx == NULL) {
        return NULL;
    }
    ctx->x[0] = arg0;
    ctx->x[1] = arg1;
    return ctx;
}

/* Undoes a spawn that could not be completed: the child never ran, so nobody is told. */
static void discard_unstarted(Context *child)
{
    globalcontext_unregister_process(child->global, child);
    list_remove(&child->scheduler_head);
    context_release(child);
}

__attribute__((noinline)) Context *erlang_spawn_link(Context *parent, ProcessBody body, term arg0, term arg1)
{
    Context *child = erlang_spawn(parent->global, body, arg0, arg1);
    if (child == NULL) {
        return NULL;
    }
    /* The parent's record is the one the buggy runtime leaves behind when the child exits. */
    struct Monitor *parent_link = monitor_link_new(child->process_id);
    struct Monitor *child_link = monitor_link_new(parent->process_id);
    if (parent_link == NULL || child_link == NULL) {
        monitor_destroy(parent_link);
        monitor_destroy(child_link);
        discard_unstarted(child);
        return NULL;
    }
    context_add_monitor(parent, parent_link);
    context_add_monitor(child, child_link);
    return child;
}

__attribute__((noinline)) uint64_t erlang_monitor(Context *ctx, int32_t target_pid)
{
    GlobalContext *global = ctx->global;
    uint64_t ref_ticks = globalcontext_get_ref_ticks(global);
    Context *target = globalcontext_get_process(global, target_pid);
    if (target == NULL) {
        Message down = { .kind = MESSAGE_DOWN, .from_pid = target_pid, .ref_ticks = ref_ticks,
                         .reason = EXIT_REASON_NOPROC };
        context_send(ctx, &down);
        return ref_ticks;
    }
    /* The watcher's record is the one the buggy runtime keeps after the DOWN was delivered. */
    struct Monitor *watcher_record = monitor_new(target_pid, ref_ticks, true);
    struct Monitor *target_record = monitor_new(ctx->process_id, ref_ticks, false);
    if (watcher_record == NULL || target_record == NULL) {
        monitor_destroy(watcher_record);
        monitor_destroy(target_record);
        return 0;
    }
    context_add_monitor(ctx, watcher_record);
    context_add_monitor(target, target_record);
    return ref_ticks;
}

__attribute__((noinline)) bool erlang_demonitor(Context *ctx, uint64_t ref_ticks)
{
    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        if (!monitor_is_link(monitor) && monitor->ref_ticks == ref_ticks) {
            Context *target = globalcontext_get_process(ctx->global, monitor->monitor_pid);
            if (target != NULL) {
                context_demonitor(target, ref_ticks);
            }
            return context_demonitor(ctx, ref_ticks);
        }
    }
    return false;
}

__attribute__((noinline)) bool erlang_unlink(Context *ctx, int32_t link_pid)
{
    context_unlink(ctx, link_pid);
    Context *peer = globalcontext_get_process(ctx->global, link_pid);
    if (peer != NULL) {
        context_unlink(peer, ctx->process_id);
    }
    return true;
}

__attribute__((noinline)) bool erlang_send(GlobalContext *global, int32_t from_pid, int32_t to_pid, term value)
{
    Context *target = globalcontext_get_process(global, to_pid);
    if (target == NULL) {
        return false;
    }
    Message message = { .kind = MESSAGE_TERM, .from_pid = from_pid, .value = value };
    context_send(target, &message);
    return true;
}

bool erlang_receive(Context *ctx, Message *out)
{
    return mailbox_take(&ctx->mailbox, out) == 0;
}

void erlang_exit(Context *ctx, int32_t target_pid, ExitReason reason)
{
    Context *target = globalcontext_get_process(ctx->global, target_pid);
    if (target != NULL) {
        context_exit_signal(target, ctx->process_id, reason);
    }
}

void erlang_trap_exit(Context *ctx, bool value)
{
    ctx->trap_exit = value;
}
