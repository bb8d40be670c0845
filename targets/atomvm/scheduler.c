#include "scheduler.h"

#include "globalcontext.h"

void scheduler_make_ready(Context *ctx)
{
    list_remove(&ctx->scheduler_head);
    list_append(&ctx->global->ready_processes, &ctx->scheduler_head);
    ctx->waiting = false;
}

void scheduler_wake(Context *ctx)
{
    if (ctx->waiting) {
        scheduler_make_ready(ctx);
    }
}

static void make_waiting(Context *ctx)
{
    list_remove(&ctx->scheduler_head);
    list_append(&ctx->global->waiting_processes, &ctx->scheduler_head);
    ctx->waiting = true;
}

__attribute__((noinline)) uint64_t scheduler_run(GlobalContext *global, uint64_t max_steps)
{
    uint64_t steps = 0;
    while (!list_is_empty(&global->ready_processes)) {
        if (steps == max_steps) {
            return UINT64_MAX;
        }
        steps++;
        Context *ctx = GET_LIST_ENTRY(global->ready_processes.next, Context, scheduler_head);
        if (ctx->killed) {
            context_destroy(ctx);
            continue;
        }
        context_process_signals(ctx);
        switch (ctx->body(ctx)) {
            case PROCESS_CONTINUE:
                scheduler_make_ready(ctx);
                break;
            case PROCESS_WAIT:
                /* A message may have arrived during the step (e.g. sent to itself): stay ready then. */
                if (ctx->mailbox.length > 0 || ctx->signals.length > 0) {
                    scheduler_make_ready(ctx);
                } else {
                    make_waiting(ctx);
                }
                break;
            case PROCESS_EXIT:
                context_destroy(ctx);
                break;
        }
    }
    return steps;
}
