/* The cooperative scheduler: one thread runs one step of the first ready process at a time; a process
 * that waits for a message leaves the ready queue until a message arrives. */
#ifndef ATOMVM_PORT_SCHEDULER_H
#define ATOMVM_PORT_SCHEDULER_H

#include <stdint.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Puts ctx at the tail of the ready queue (taking it off the waiting list if it was there). */
void scheduler_make_ready(Context *ctx);

/* A message arrived for ctx: make it ready if it was waiting, otherwise leave it where it is. */
void scheduler_wake(Context *ctx);

/* Runs ready processes until none is ready (every live process waits for a message). Returns the number
 * of steps run; stops early, returning UINT64_MAX, after `max_steps` steps (a runaway workload). */
uint64_t scheduler_run(struct GlobalContext *global, uint64_t max_steps);

#ifdef __cplusplus
}
#endif

#endif
