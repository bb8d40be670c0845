/* The GlobalContext: the process table, the pid and reference counters, the scheduler's queues, and which
 * termination path (buggy or fixed) the runtime runs. */
#ifndef ATOMVM_PORT_GLOBALCONTEXT_H
#define ATOMVM_PORT_GLOBALCONTEXT_H

#include <stdint.h>

#include "context.h"
#include "list.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum RuntimeVariant {
    /* Termination frees only the dying process's own records: the peers keep theirs (the original bug). */
    RUNTIME_VARIANT_BUGGY,
    /* Termination also removes the peer's link record and releases the watcher's monitor record with
     * the DOWN it sends (the fix). */
    RUNTIME_VARIANT_FIXED
} RuntimeVariant;

typedef struct RuntimeCounters {
    uint64_t spawned;
    uint64_t terminated;
    uint64_t exit_signals; /* exit signals sent to live linked peers */
    uint64_t down_messages;
} RuntimeCounters;

typedef struct GlobalContext {
    struct ListHead processes_table;   /* every live Context, by processes_table_head */
    struct ListHead ready_processes;   /* runnable, in order */
    struct ListHead waiting_processes; /* blocked in receive */
    int32_t last_process_id;
    uint64_t ref_ticks; /* last monitor reference handed out */
    RuntimeVariant variant;
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
