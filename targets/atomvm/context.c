#include "context.h"

#include <stdlib.h>

#include "globalcontext.h"
#include "process_model.h"
#include "scheduler.h"

__attribute__((noinline)) Context *context_new(GlobalContext *global, ProcessBody body, size_t heap_words)
{
    Context *ctx = calloc(1, sizeof(Context));
    if (ctx == NULL) {
        return NULL;
    }
    ctx->heap = calloc(heap_words, sizeof(term));
    if (ctx->heap == NULL && heap_words > 0) {
        free(ctx);
        return NULL;
    }
    ctx->heap_words = heap_words;
    ctx->global = global;
    ctx->body = body;
    ctx->exit_reason = EXIT_REASON_NORMAL;
    mailbox_init(&ctx->mailbox);
    mailbox_init(&ctx->signals);
    list_init(&ctx->monitors_head);
    list_init(&ctx->scheduler_head);
    globalcontext_register_process(global, ctx);
    global->counters.spawned++;
    scheduler_make_ready(ctx);
    return ctx;
}

__attribute__((noinline)) void context_destroy(Context *ctx)
{
    GlobalContext *global = ctx->global;
    /* Out of the table first: from now on the peers see this pid as dead, as in AtomVM. */
    globalcontext_unregister_process(global, ctx);
    list_remove(&ctx->scheduler_head);
    /* Signals that arrived since the last step still count: a monitor set on ctx gets its DOWN. */
    context_process_signals(ctx);
    global->model->handle_terminate(ctx);
    global->counters.terminated++;
    context_release(ctx);
}

void context_release(Context *ctx)
{
    context_free_monitors(ctx);
    mailbox_destroy(&ctx->mailbox);
    mailbox_destroy(&ctx->signals);
    free(ctx->heap);
    free(ctx);
}

__attribute__((noinline)) void context_send(Context *ctx, const Message *message)
{
    if (mailbox_send(&ctx->mailbox, message) == 0) {
        scheduler_wake(ctx);
    }
}

void context_send_signal(Context *ctx, const Message *signal)
{
    if (mailbox_send(&ctx->signals, signal) == 0) {
        scheduler_wake(ctx);
    } else {
        /* The record could not be handed over: it would otherwise be lost. */
        monitor_free(signal->monitor);
    }
}

void context_process_signals(Context *ctx)
{
    Message signal;
    while (mailbox_take(&ctx->signals, &signal) == 0) {
        ctx->global->model->process_signal(ctx, &signal);
    }
}

void context_exit_signal(Context *ctx, int32_t from_pid, ExitReason reason)
{
    if (ctx->trap_exit) {
        Message exit_message = { .kind = MESSAGE_EXIT, .from_pid = from_pid, .reason = reason };
        context_send(ctx, &exit_message);
        return;
    }
    if (reason == EXIT_REASON_NORMAL || ctx->killed) {
        return;
    }
    ctx->killed = true;
    ctx->exit_reason = reason;
    /* Termination happens at the process's next turn, never inside the sender's own termination walk. */
    scheduler_make_ready(ctx);
}
