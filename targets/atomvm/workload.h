/* The workload of PORTS.md section 3: a long-lived parent that, per batch, spawn_links K workers and
 * spawns and monitors K more; every worker does a little work on its heap, sends the result to the parent
 * and exits normally; the parent collects the 2K results and the K DOWN messages. */
#ifndef ATOMVM_PORT_WORKLOAD_H
#define ATOMVM_PORT_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "globalcontext.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ParentStatus {
    bool alive;
    int64_t pending_results; /* results of the current batch not received yet */
    int64_t pending_downs;   /* DOWN messages of the current batch not received yet */
    int64_t batches_done;
    int64_t checksum; /* sum of every result received */
    size_t records;   /* the parent's link and monitor records right now */
} ParentStatus;

/* The result a worker sends for its argument n: the sum of n + i over its ERLANG_PROCESS_HEAP_WORDS heap
 * words, which it fills first. */
int64_t workload_expected_result(int64_t n);

/* Spawns the parent (K = workers per batch); returns its pid, or 0 when memory is exhausted. */
int32_t workload_start(GlobalContext *global, int64_t workers);

/* Tells the parent to run one batch and runs the scheduler until everything is idle again. Returns true
 * when the batch completed (every result and DOWN received). */
bool workload_run_batch(GlobalContext *global, int32_t parent_pid);

/* Tells the parent to exit normally and runs the scheduler until idle. */
void workload_stop(GlobalContext *global, int32_t parent_pid);

ParentStatus workload_parent_status(GlobalContext *global, int32_t parent_pid);

#ifdef __cplusplus
}
#endif

#endif
