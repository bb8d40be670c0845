/* The two workloads of PORTS.md section 3, run per batch (one batch = one cycle of atomvm_port):
 * (a) links: a long-lived parent spawn_links K workers; each fills its heap, sends the sum to the parent
 *     and exits normally. The parent does not trap exits unless asked to (then it also collects the K
 *     {'EXIT', Worker, normal} messages).
 * (b) monitors: K short-lived clients each monitor a long-lived server, send it a request, pass the reply
 *     to the parent and exit normally while the server lives on.
 * The parent and the server are the runtime's first processes (started by the shell, as AtomVM starts
 * its first process); they live until workload_stop. */
#ifndef ATOMVM_PORT_WORKLOAD_H
#define ATOMVM_PORT_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "globalcontext.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct WorkloadConfig {
    int64_t workers;     /* K: workers and clients per batch */
    bool links;          /* run workload (a) */
    bool monitors;       /* run workload (b) */
    bool parent_traps;   /* the parent traps exits */
} WorkloadConfig;

typedef struct Workload {
    GlobalContext *global;
    int32_t parent_pid;
    int32_t server_pid;
} Workload;

typedef struct WorkloadStatus {
    bool alive;               /* parent and server alive */
    int64_t batches_done;
    int64_t checksum;         /* sum of every result and reply the parent received */
    int64_t exit_messages;    /* {'EXIT', Worker, Reason} messages the (trapping) parent received */
    size_t parent_records;    /* link and monitor records on the parent right now */
    size_t server_records;    /* ... on the server */
} WorkloadStatus;

/* What a worker sends for its argument n: the sum of n + i over its PROCESS_HEAP_WORDS heap words, which
 * it fills first. A client's reply from the server for request n is 2n. */
int64_t workload_expected_result(int64_t n);

/* Starts the parent and the server; false when memory is exhausted. */
bool workload_start(Workload *workload, GlobalContext *global, WorkloadConfig config);

/* Tells the parent to run one batch and runs the scheduler until every process waits again. True when
 * the batch completed (every result, reply and expected EXIT message received). */
bool workload_run_batch(Workload *workload);

/* Tells the parent and the server to exit normally and runs the scheduler until idle. */
void workload_stop(Workload *workload);

WorkloadStatus workload_status(const Workload *workload);

#ifdef __cplusplus
}
#endif

#endif
