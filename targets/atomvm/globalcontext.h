/* The GlobalContext: the process table, the pid and reference counters, the scheduler's queues, and which
 * generation of the process BIFs (buggy v0.6.5 or fixed v0.6.6, process_model.h) the runtime runs. */
#ifndef ATOMVM_PORT_GLOBALCONTEXT_H
#define ATOMVM_PORT_GLOBALCONTEXT_H

#include <stdint.h>

#include "context.h"
#include "list.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum RuntimeVariant {
    RUNTIME_VARIANT_BUGGY, /* process_model_v065: before PR 1555 */
    RUNTIME_VARIANT_FIXED  /* process_model_v066: PR 1555 */
} RuntimeVariant;

typedef struct RuntimeCounters {
    uint64_t spawned;
    uint64_t terminated;
    uint64_t exit_signals; /* exit signals sent to live linked peers by dying processes */
    uint64_t down_messages;
} RuntimeCounters;

struct ProcessModel;

typedef struct GlobalContext {
    struct ListHead processes_table;   /* every live Context, by processes_table_head */
    struct ListHead ready_processes;   /* runnable, in order */
    struct ListHead waiting_processes; /* blocked in receive */
    int32_t last_process_id;
    uint64_t ref_ticks; /* last monitor reference handed out */
    RuntimeVariant variant;
    const struct ProcessModel *model;
    RuntimeCounters counters;
} GlobalContext;

/* NULL when memory is exhausted. */
GlobalContext *globalcontext_new(RuntimeVariant variant);

/* Shutdown: frees every context still alive (with its heap, mailbox and records) without running any
 * more process code, then the global context itself. */
void globalcontext_destroy(GlobalContext *global);

/* Adds ctx to the process table under a fresh pid. */
void globalcontext_register_process(GlobalContext *global, Context *ctx);
void globalcontext_unregister_process(GlobalContext *global, Context *ctx);

/* The live process with this pid, or NULL when it has terminated (or never existed). */
Context *globalcontext_get_process(GlobalContext *global, int32_t process_id);

/* A fresh monitor reference, never 0 (0 marks a link). */
uint64_t globalcontext_get_ref_ticks(GlobalContext *global);

size_t globalcontext_process_count(const GlobalContext *global);

#ifdef __cplusplus
}
#endif

#endif
