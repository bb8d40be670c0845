/* The parts of the process BIFs both generations share. */
#include "globalcontext.h"
#include "process_model.h"

bool process_send(Context *ctx, int32_t to_pid, term value)
{
    Context *target = globalcontext_get_process(ctx->global, to_pid);
    if (target == NULL) {
        return false;
    }
    Message message = { .kind = MESSAGE_TERM, .from_pid = ctx->process_id, .value = value };
    context_send(target, &message);
    return true;
}

bool process_receive(Context *ctx, Message *out)
{
    return mailbox_take(&ctx->mailbox, out) == 0;
}

void process_exit(Context *ctx, int32_t target_pid, ExitReason reason)
{
    Context *target = globalcontext_get_process(ctx->global, target_pid);
    if (target != NULL) {
        context_exit_signal(target, ctx->process_id, reason);
    }
}

void process_send_down(Context *watcher, uint64_t ref_ticks, int32_t dead_pid, ExitReason reason)
{
    Message down = { .kind = MESSAGE_DOWN, .from_pid = dead_pid, .ref_ticks = ref_ticks, .reason = reason };
    context_send(watcher, &down);
    watcher->global->counters.down_messages++;
}

__attribute__((noinline)) Context *nif_erlang_spawn_opt(Context *ctx, ProcessBody body, term arg0, term arg1,
                                                        SpawnOptions opts, uint64_t *ref_ticks)
{
    Context *new_ctx = context_new(ctx->global, body, PROCESS_HEAP_WORDS);
    if (new_ctx == NULL) {
        return NULL;
    }
    new_ctx->x[0] = arg0;
    new_ctx->x[1] = arg1;
    return ctx->global->model->do_spawn(ctx, new_ctx, opts, ref_ticks);
}

void process_discard_unstarted(Context *child)
{
    globalcontext_unregister_process(child->global, child);
    list_remove(&child->scheduler_head);
    context_release(child);
}
