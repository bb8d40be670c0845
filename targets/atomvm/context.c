#include "context.h"

#include <stdlib.h>

#include "globalcontext.h"
#include "monitor.h"
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
    list_init(&ctx->monitors_head);
    list_init(&ctx->scheduler_head);
    globalcontext_register_process(global, ctx);
    global->counters.spawned++;
    scheduler_make_ready(ctx);
    return ctx;
}

/* The peer's own record about the dying process: its link record, or the record of the monitor the dying
 * process was part of (on either side). Releasing it is what the buggy runtime never did. */
static void release_peer_record(Context *peer, const struct Monitor *own_record, int32_t dying_pid)
{
    if (monitor_is_link(own_record)) {
        context_unlink(peer, dying_pid);
    } else {
        context_demonitor(peer, own_record->ref_ticks);
    }
}

__attribute__((noinline)) void context_destroy(Context *ctx)
{
    GlobalContext *global = ctx->global;
    /* Out of the table first: from now on the peers see this pid as dead, as in AtomVM. */
    globalcontext_unregister_process(global, ctx);
    list_remove(&ctx->scheduler_head);

    struct ListHead *item;
    LIST_FOR_EACH (item, &ctx->monitors_head) {
        struct Monitor *monitor = GET_LIST_ENTRY(item, struct Monitor, monitor_list_head);
        Context *peer = globalcontext_get_process(global, monitor->monitor_pid);
        if (peer == NULL) {
            continue;
        }
        if (monitor_is_link(monitor)) {
            context_exit_signal(peer, ctx->process_id, ctx->exit_reason);
            global->counters.exit_signals++;
        } else if (!monitor->is_monitoring) {
            Message down = { .kind = MESSAGE_DOWN, .from_pid = ctx->process_id, .ref_ticks = monitor->ref_ticks,
                             .reason = ctx->exit_reason };
            context_send(peer, &down);
            global->counters.down_messages++;
        }
        /* A record with is_monitoring set means ctx watched the peer: the peer is told nothing. */
        if (global->variant == RUNTIME_VARIANT_FIXED) {
            release_peer_record(peer, monitor, ctx->process_id);
        }
    }
    global->counters.terminated++;
    context_release(ctx);
}

void context_release(Context *ctx)
{
    context_free_monitors(ctx);
    mailbox_destroy(&ctx->mailbox);
    free(ctx->heap);
    free(ctx);
}

__attribute__((noinline)) void context_send(Context *ctx, const Message *message)
{
    if (mailbox_send(&ctx->mailbox, message) == 0) {
        scheduler_wake(ctx);
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
