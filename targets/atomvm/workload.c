#include "workload.h"

#include "erlang.h"
#include "scheduler.h"

/* Commands the shell (main) sends the parent; results are never negative, so these cannot clash. */
enum { PARENT_COMMAND_BATCH = -1, PARENT_COMMAND_STOP = -2 };

/* The pid the shell sends from: no process has it. */
enum { SHELL_PID = 0 };

/* A bound on scheduler steps per batch, so a runtime bug shows as a failed batch instead of a hang. */
enum { STEPS_PER_WORKER_BOUND = 64 };

/* Parent registers: x[0] = K, x[1] = pending results, x[2] = pending DOWNs, x[3] = batch in progress.
 * Parent heap words: [0] = batches done, [1] = checksum. */
enum { PARENT_BATCHES_DONE, PARENT_CHECKSUM };

/* Worker registers: x[0] = n, x[1] = parent pid, x[2] = step, x[3] = result. */
static ProcessStep worker_body(Context *ctx)
{
    if (ctx->x[2] == 0) {
        /* First turn: the work, then yield like a process whose reductions ran out. */
        int64_t sum = 0;
        for (size_t i = 0; i < ctx->heap_words; i++) {
            ctx->heap[i] = ctx->x[0] + (term) i;
        }
        for (size_t i = 0; i < ctx->heap_words; i++) {
            sum += ctx->heap[i];
        }
        ctx->x[3] = sum;
        ctx->x[2] = 1;
        return PROCESS_CONTINUE;
    }
    erlang_send(ctx->global, ctx->process_id, (int32_t) ctx->x[1], ctx->x[3]);
    ctx->exit_reason = EXIT_REASON_NORMAL;
    return PROCESS_EXIT;
}

int64_t workload_expected_result(int64_t n)
{
    int64_t words = ERLANG_PROCESS_HEAP_WORDS;
    return words * n + words * (words - 1) / 2;
}

__attribute__((noinline)) static void parent_start_batch(Context *parent)
{
    int64_t workers = parent->x[0];
    int64_t first_n = parent->heap[PARENT_BATCHES_DONE] * 2 * workers;
    parent->x[3] = 1;
    for (int64_t i = 0; i < workers; i++) {
        if (erlang_spawn_link(parent, worker_body, first_n + i, parent->process_id) != NULL) {
            parent->x[1]++;
        }
    }
    for (int64_t i = 0; i < workers; i++) {
        Context *watched = erlang_spawn(parent->global, worker_body, first_n + workers + i, parent->process_id);
        if (watched == NULL) {
            continue;
        }
        parent->x[1]++;
        if (erlang_monitor(parent, watched->process_id) != 0) {
            parent->x[2]++;
        }
    }
}

static ProcessStep parent_body(Context *parent)
{
    Message message;
    while (erlang_receive(parent, &message)) {
        switch (message.kind) {
            case MESSAGE_TERM:
                if (message.value == PARENT_COMMAND_BATCH) {
                    parent_start_batch(parent);
                } else if (message.value == PARENT_COMMAND_STOP) {
                    parent->exit_reason = EXIT_REASON_NORMAL;
                    return PROCESS_EXIT;
                } else {
                    parent->x[1]--;
                    parent->heap[PARENT_CHECKSUM] += message.value;
                }
                break;
            case MESSAGE_DOWN:
                parent->x[2]--;
                break;
            case MESSAGE_EXIT:
                /* Not trapping exits: exit signals never become messages here. */
                break;
        }
        if (parent->x[3] && parent->x[1] == 0 && parent->x[2] == 0) {
            parent->x[3] = 0;
            parent->heap[PARENT_BATCHES_DONE]++;
        }
    }
    return PROCESS_WAIT;
}

int32_t workload_start(GlobalContext *global, int64_t workers)
{
    Context *parent = erlang_spawn(global, parent_body, workers, 0);
    return parent != NULL ? parent->process_id : 0;
}

bool workload_run_batch(GlobalContext *global, int32_t parent_pid)
{
    ParentStatus before = workload_parent_status(global, parent_pid);
    if (!before.alive || !erlang_send(global, SHELL_PID, parent_pid, PARENT_COMMAND_BATCH)) {
        return false;
    }
    Context *parent = globalcontext_get_process(global, parent_pid);
    uint64_t bound = (uint64_t) (parent->x[0] + 1) * 2 * STEPS_PER_WORKER_BOUND;
    if (scheduler_run(global, bound) == UINT64_MAX) {
        return false;
    }
    ParentStatus after = workload_parent_status(global, parent_pid);
    return after.alive && after.batches_done == before.batches_done + 1;
}

void workload_stop(GlobalContext *global, int32_t parent_pid)
{
    if (erlang_send(global, SHELL_PID, parent_pid, PARENT_COMMAND_STOP)) {
        scheduler_run(global, UINT64_MAX - 1);
    }
}

ParentStatus workload_parent_status(GlobalContext *global, int32_t parent_pid)
{
    ParentStatus status = { 0 };
    Context *parent = globalcontext_get_process(global, parent_pid);
    if (parent == NULL) {
        return status;
    }
    status.alive = true;
    status.pending_results = parent->x[1];
    status.pending_downs = parent->x[2];
    status.batches_done = parent->heap[PARENT_BATCHES_DONE];
    status.checksum = parent->heap[PARENT_CHECKSUM];
    status.records = list_length(&parent->monitors_head);
    return status;
}
