/* The process BIFs and the termination walk, in the two generations of AtomVM this port compares.
 *
 * - process_model_v065 (the buggy variant): AtomVM up to v0.6.5. Any process edits any other process's
 *   record list: spawn_link's do_spawn calls context_link on both sides, erlang:monitor's
 *   nif_erlang_monitor calls context_monitor on the TARGET (one record, naming the watcher), and the
 *   dying process removes a peer's link record only when that peer traps exits.
 * - process_model_v066 (the fixed variant): AtomVM PR 1555 (v0.6.6). Records on both sides of a monitor
 *   (monitor_new, tagged monitoring/monitored) and of a link (monitor_link_new); a process only edits its
 *   own list, and asks a peer to edit its list by a signal (monitor, unlink, demonitor) that the peer
 *   carries out before its next step or when it terminates.
 *
 * The bodies call the BIFs through the macros at the end, so no wrapper frame sits between a body and
 * the BIF in the stacks the tracker records. */
#ifndef ATOMVM_PORT_PROCESS_MODEL_H
#define ATOMVM_PORT_PROCESS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Heap words each spawned process gets. */
#define PROCESS_HEAP_WORDS 64

/* spawn_opt options. */
typedef struct SpawnOptions {
    bool link;    /* spawn_link */
    bool monitor; /* spawn_monitor */
} SpawnOptions;

typedef struct ProcessModel {
    const char *version; /* "v0.6.5", "v0.6.6" */
    /* The options part of spawn_opt, on a child that exists but has not run yet: links and monitors
     * between ctx and new_ctx. new_ctx, or NULL when memory is exhausted (new_ctx is then discarded).
     * *ref_ticks (may be NULL) gets the monitor reference when opts.monitor. */
    Context *(*do_spawn)(Context *ctx, Context *new_ctx, SpawnOptions opts, uint64_t *ref_ticks);
    /* erlang:monitor(process, Pid): the reference (never 0); a dead Pid gives {'DOWN', Ref, process, Pid,
     * noproc} at once. 0 when memory is exhausted. */
    uint64_t (*monitor)(Context *ctx, int32_t target_pid);
    /* erlang:demonitor(Ref): false if no such monitor was found. */
    bool (*demonitor)(Context *ctx, uint64_t ref_ticks);
    /* erlang:link(Pid): false when Pid is not alive or memory is exhausted. */
    bool (*link)(Context *ctx, int32_t pid);
    /* erlang:unlink(Pid) */
    void (*unlink)(Context *ctx, int32_t pid);
    /* The walk of a dying process's records (context_destroy): exit signals, DOWN messages, and whatever
     * the generation does about the peers' records. */
    void (*handle_terminate)(Context *ctx);
    /* Carries out one signal queued for ctx. */
    void (*process_signal)(Context *ctx, const Message *signal);
} ProcessModel;

extern const ProcessModel process_model_v065;
extern const ProcessModel process_model_v066;

/* spawn_opt(Body, [Arg0, Arg1], Opts): a new ready process, or NULL when memory is exhausted (nothing is
 * left behind). *ref_ticks (may be NULL) gets the monitor reference when opts.monitor. The same in both
 * generations; only its do_spawn differs. */
Context *nif_erlang_spawn_opt(Context *ctx, ProcessBody body, term arg0, term arg1, SpawnOptions opts,
                              uint64_t *ref_ticks);

#define nif_spawn_opt nif_erlang_spawn_opt
#define nif_monitor(ctx, pid) ((ctx)->global->model->monitor((ctx), (pid)))
#define nif_demonitor(ctx, ref) ((ctx)->global->model->demonitor((ctx), (ref)))
#define nif_link(ctx, pid) ((ctx)->global->model->link((ctx), (pid)))
#define nif_unlink(ctx, pid) ((ctx)->global->model->unlink((ctx), (pid)))

/* Pid ! Value: false when the target is not alive (the message is dropped, as in Erlang). */
bool process_send(Context *ctx, int32_t to_pid, term value);

/* receive: takes the oldest message into *out; false when the mailbox is empty (the body should then
 * return PROCESS_WAIT). */
bool process_receive(Context *ctx, Message *out);

/* exit(Pid, Reason): an exit signal from ctx to Pid, handled as a linked peer's death would be. */
void process_exit(Context *ctx, int32_t target_pid, ExitReason reason);

/* Sends {'DOWN', Ref, process, Pid, Reason} about `dead_pid` to `watcher`. */
void process_send_down(Context *watcher, uint64_t ref_ticks, int32_t dead_pid, ExitReason reason);

/* Undoes the context_new of a spawn whose do_spawn could not complete: the child never ran. */
void process_discard_unstarted(Context *child);

#ifdef __cplusplus
}
#endif

#endif
