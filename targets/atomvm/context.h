/* A Context is one Erlang process: its x registers and heap, its mailbox and signal queue, its link/monitor
 * records, its trap_exit flag and exit reason, and the body the cooperative scheduler runs. */
#ifndef ATOMVM_PORT_CONTEXT_H
#define ATOMVM_PORT_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "mailbox.h"
#include "monitor.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    Mailbox signals;               /* v0.6.6 model: requests only this process carries out */
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

/* Terminates ctx with ctx->exit_reason: unregisters it, carries out the signals still queued for it, lets
 * the runtime's process model walk its records (exit signal per link, DOWN per monitor of it), then frees
 * it. What happens to the peers' own records about ctx is the bug of this port. */
void context_destroy(Context *ctx);

/* Frees ctx's memory, records, messages and signals without telling anyone: runtime shutdown, or a spawn
 * that could not be completed. ctx must already be out of the process table and the scheduler's lists. */
void context_release(Context *ctx);

/* Queues a copy of `message` in ctx's mailbox and wakes ctx if it waits in receive. */
void context_send(Context *ctx, const Message *message);

/* Queues a copy of `signal` in ctx's signal queue and wakes ctx; it is carried out before ctx's next step. */
void context_send_signal(Context *ctx, const Message *signal);

/* Carries out every signal queued for ctx (through the runtime's process model). */
void context_process_signals(Context *ctx);

/* Delivers an exit signal from `from_pid` with `reason` to ctx: a trapping process gets an
 * {'EXIT', From, Reason} message, a non-trapping one dies unless the reason is normal. */
void context_exit_signal(Context *ctx, int32_t from_pid, ExitReason reason);

#ifdef __cplusplus
}
#endif

#endif
