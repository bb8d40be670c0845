#include "workload.h"

#include "process_model.h"
#include "scheduler.h"

/* Commands the shell sends; results and replies are never negative, so these cannot clash. */
enum { COMMAND_BATCH = -1, COMMAND_STOP = -2 };

/* A bound on scheduler steps per batch, so a runtime bug shows as a failed batch instead of a hang. */
enum { STEPS_PER_PROCESS_BOUND = 64 };

/* Parent registers: x[0] = K, x[1] = replies pending, x[2] = EXIT messages pending, x[3] = server pid.
 * Parent heap words: */
enum { PARENT_BATCHES_DONE, PARENT_CHECKSUM, PARENT_EXIT_MESSAGES, PARENT_LINKS, PARENT_MONITORS, PARENT_TRAPS };

static ProcessStep stop_or_wait(Context *ctx, const Message *message)
{
    if (message->kind == MESSAGE_TERM && message->value == COMMAND_STOP) {
        ctx->exit_reason = EXIT_REASON_NORMAL;
        return PROCESS_EXIT;
    }
    return PROCESS_WAIT;
}

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
    process_send(ctx, (int32_t) ctx->x[1], ctx->x[3]);
    ctx->exit_reason = EXIT_REASON_NORMAL;
    return PROCESS_EXIT;
}

/* Client registers: x[0] = n, x[1] = server pid, x[2] = parent pid, x[3] = monitor reference once sent. */
static ProcessStep client_body(Context *ctx)
{
    if (ctx->x[3] == 0) {
        ctx->x[3] = (term) nif_monitor(ctx, (int32_t) ctx->x[1]);
        process_send(ctx, (int32_t) ctx->x[1], ctx->x[0]);
        return PROCESS_WAIT;
    }
    Message message;
    while (process_receive(ctx, &message)) {
        if (message.kind == MESSAGE_TERM && message.from_pid == ctx->x[1]) {
            process_send(ctx, (int32_t) ctx->x[2], message.value);
            /* Done: exit normally while still monitoring the server, as a short-lived caller does. */
            ctx->exit_reason = EXIT_REASON_NORMAL;
            return PROCESS_EXIT;
        }
        if (message.kind == MESSAGE_DOWN) {
            return PROCESS_EXIT; /* the server died first: no reply will come */
        }
    }
    return PROCESS_WAIT;
}

/* The server answers every request n with 2n, to whoever sent it. */
static ProcessStep server_body(Context *ctx)
{
    Message message;
    while (process_receive(ctx, &message)) {
        if (message.kind != MESSAGE_TERM) {
            continue;
        }
        if (message.value < 0) {
            return stop_or_wait(ctx, &message);
        }
        process_send(ctx, message.from_pid, 2 * message.value);
    }
    return PROCESS_WAIT;
}

__attribute__((noinline)) static void parent_start_batch(Context *parent)
{
    int64_t workers = parent->x[0];
    int64_t first_n = parent->heap[PARENT_BATCHES_DONE] * 2 * workers;
    if (parent->heap[PARENT_LINKS]) {
        SpawnOptions link = { .link = true };
        for (int64_t i = 0; i < workers; i++) {
            if (nif_spawn_opt(parent, worker_body, first_n + i, parent->process_id, link, NULL) != NULL) {
                parent->x[1]++;
                parent->x[2] += parent->trap_exit ? 1 : 0;
            }
        }
    }
    if (parent->heap[PARENT_MONITORS]) {
        SpawnOptions plain = { 0 };
        for (int64_t i = 0; i < workers; i++) {
            Context *client = nif_spawn_opt(parent, client_body, first_n + workers + i, parent->x[3], plain, NULL);
            if (client != NULL) {
                client->x[2] = parent->process_id;
                parent->x[1]++;
            }
        }
    }
}

static ProcessStep parent_body(Context *parent)
{
    Message message;
    while (process_receive(parent, &message)) {
        switch (message.kind) {
            case MESSAGE_TERM:
                if (message.value == COMMAND_BATCH) {
                    parent_start_batch(parent);
                } else if (message.value < 0) {
                    return stop_or_wait(parent, &message);
                } else {
                    parent->x[1]--;
                    parent->heap[PARENT_CHECKSUM] += message.value;
                }
                break;
            case MESSAGE_EXIT:
                parent->x[2]--;
                parent->heap[PARENT_EXIT_MESSAGES]++;
                break;
            default:
                break;
        }
    }
    return PROCESS_WAIT;
}

int64_t workload_expected_result(int64_t n)
{
    int64_t words = PROCESS_HEAP_WORDS;
    return words * n + words * (words - 1) / 2;
}

bool workload_start(Workload *workload, GlobalContext *global, WorkloadConfig config)
{
    workload->global = global;
    Context *server = context_new(global, server_body, PROCESS_HEAP_WORDS);
    Context *parent = context_new(global, parent_body, PROCESS_HEAP_WORDS);
    if (server == NULL || parent == NULL) {
        return false; /* the runtime's shutdown frees whichever was made */
    }
    workload->server_pid = server->process_id;
    workload->parent_pid = parent->process_id;
    parent->x[0] = config.workers;
    parent->x[3] = server->process_id;
    parent->heap[PARENT_LINKS] = config.links;
    parent->heap[PARENT_MONITORS] = config.monitors;
    parent->trap_exit = config.parent_traps;
    return true;
}

static uint64_t run_until_idle(GlobalContext *global)
{
    uint64_t bound = (uint64_t) (globalcontext_process_count(global) + 1) * STEPS_PER_PROCESS_BOUND;
    return scheduler_run(global, bound);
}

bool workload_run_batch(Workload *workload)
{
    Context *parent = globalcontext_get_process(workload->global, workload->parent_pid);
    Context *server = globalcontext_get_process(workload->global, workload->server_pid);
    if (parent == NULL || server == NULL) {
        return false;
    }
    Message batch = { .kind = MESSAGE_TERM, .value = COMMAND_BATCH };
    context_send(parent, &batch);
    /* Each step of the parent may spawn up to 2K processes: bound the run by what it can spawn. */
    uint64_t bound = (uint64_t) (4 * parent->x[0] + globalcontext_process_count(workload->global) + 1) *
                     STEPS_PER_PROCESS_BOUND;
    if (scheduler_run(workload->global, bound) == UINT64_MAX) {
        return false;
    }
    parent = globalcontext_get_process(workload->global, workload->parent_pid);
    if (parent == NULL || parent->x[1] != 0 || parent->x[2] != 0) {
        return false;
    }
    parent->heap[PARENT_BATCHES_DONE]++;
    return true;
}

void workload_stop(Workload *workload)
{
    Message stop = { .kind = MESSAGE_TERM, .value = COMMAND_STOP };
    int32_t pids[] = { workload->parent_pid, workload->server_pid };
    for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
        Context *ctx = globalcontext_get_process(workload->global, pids[i]);
        if (ctx != NULL) {
            context_send(ctx, &stop);
        }
    }
    run_until_idle(workload->global);
}

WorkloadStatus workload_status(const Workload *workload)
{
    WorkloadStatus status = { 0 };
    Context *parent = globalcontext_get_process(workload->global, workload->parent_pid);
    Context *server = globalcontext_get_process(workload->global, workload->server_pid);
    if (parent == NULL || server == NULL) {
        return status;
    }
    status.alive = true;
    status.batches_done = parent->heap[PARENT_BATCHES_DONE];
    status.checksum = parent->heap[PARENT_CHECKSUM];
    status.exit_messages = parent->heap[PARENT_EXIT_MESSAGES];
    status.parent_records = list_length(&parent->monitors_head);
    status.server_records = list_length(&server->monitors_head);
    return status;
}
