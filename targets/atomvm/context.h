/* A Context is one Erlang process: its x registers and heap, its mailbox, its link/monitor records, its
 * trap_exit flag and exit reason, and the body the cooperative scheduler runs. */
#ifndef ATOMVM_PORT_CONTEXT_H
#define ATOMVM_PORT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "mailbox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t term;

struct GlobalContext;
struct Context;

/* What a body asks of the scheduler after one step. */
typedef enum ProcessStep {
    PROCESS_CONTINUE, /* run me again later (a reduction budget was used up) */
    PROCESS_WAIT,     /* nothing to do until a message arrives */
    PROCESS_EXIT      /* I am done: terminate me with ctx->exit_reason */
} ProcessStep;

typedef ProcessStep (*ProcessBody)(struct Context *ctx);

#define CONTEXT_X_REGISTERS 4

typedef struct Context {
    struct ListHead processes_table_head; /* node in global->processes_table */
    struct ListHead scheduler_head;       /* node in global->ready_processes or global->waiting_processes */
    struct GlobalContext *global;
    int32_t process_id;

    term x[CONTEXT_X_REGISTERS]; /* arguments and the body's state between steps */
    term *heap;                  /* the process heap: scratch words for the body's work */
    size_t heap_words;

    Mailbox mailbox;
    struct ListHead monitors_head; /* struct Monitor records: links and monitors */

    bool trap_exit;
    ExitReason exit_reason;
    bool killed;  /* an exit signal arrived: terminate at the next turn instead of running */
    bool waiting; /* on the scheduler's waiting list, blocked in receive */

    ProcessBody body;
} Context;

/* Allocates a context with a heap of `heap_words`, registers it in the process table and makes it ready.
 * NULL when memory is exhausted. */
Context *context_new(struct GlobalContext *global, ProcessBody body, size_t heap_words);

/* Terminates ctx with ctx->exit_reason: unregisters it, walks its records (exit signal per link, DOWN per
 * monitor of it, to every peer still alive), then frees it. What happens to the peers' own records about
 * ctx is the bug of this port; see the variant in global->variant. */
void context_destroy(Context *ctx);

/* Frees ctx's memory and records without signalling anyone: runtime shutdown. ctx must already be out of
 * the process table and the scheduler's lists. */
void context_release(Context *ctx);

/* Queues a copy of `message` in ctx's mailbox and wakes ctx if it waits in receive. */
void context_send(Context *ctx, const Message *message);

/* Delivers an exit signal from `from_pid` with `reason` to ctx: a trapping process gets an
 * {'EXIT', From, Reason} message, a non-trapping one dies unless the reason is normal. */
void context_exit_signal(Context *ctx, int32_t from_pid, ExitReason reason);

#ifdef __cplusplus
}
#endif

#endif
