// The AtomVM port's runtime without the tool: links, monitors, exit signals and the records each side
// keeps, in the buggy and the fixed termination path.
#include <catch2/catch.hpp>

#include <vector>

#include "erlang.h"
#include "globalcontext.h"
#include "monitor.h"
#include "scheduler.h"
#include "workload.h"

namespace {

constexpr uint64_t kStepBound = 10000;

// A process that never exits on its own and writes down every message it receives into its heap:
// heap[0] = count, then four words per message (kind, from, ref, reason).
ProcessStep recorder_body(Context* ctx) {
    Message message;
    while (erlang_receive(ctx, &message)) {
        term* slot = ctx->heap + 1 + 4 * ctx->heap[0];
        if (slot + 4 <= ctx->heap + ctx->heap_words) {
            slot[0] = message.kind;
            slot[1] = message.from_pid;
            slot[2] = static_cast<term>(message.ref_ticks);
            slot[3] = message.reason;
            ctx->heap[0]++;
        }
    }
    return PROCESS_WAIT;
}

// A process that terminates at its first turn with the reason in x[0].
ProcessStep exiting_body(Context* ctx) {
    ctx->exit_reason = static_cast<ExitReason>(ctx->x[0]);
    return PROCESS_EXIT;
}

// A process that waits for one message, then exits normally.
ProcessStep wait_then_exit_body(Context* ctx) {
    Message message;
    if (!erlang_receive(ctx, &message)) return PROCESS_WAIT;
    return PROCESS_EXIT;
}

struct Recorded {
    MessageKind kind;
    int32_t from;
    uint64_t ref;
    ExitReason reason;
};

std::vector<Recorded> recordedMessages(const Context* ctx) {
    std::vector<Recorded> messages;
    for (term i = 0; i < ctx->heap[0]; i++) {
        const term* slot = ctx->heap + 1 + 4 * i;
        messages.push_back({static_cast<MessageKind>(slot[0]), static_cast<int32_t>(slot[1]),
                            static_cast<uint64_t>(slot[2]), static_cast<ExitReason>(slot[3])});
    }
    return messages;
}

size_t recordCount(const Context* ctx) { return list_length(&ctx->monitors_head); }

struct Runtime {
    explicit Runtime(RuntimeVariant variant) : global(globalcontext_new(variant)) { REQUIRE(global != nullptr); }
    ~Runtime() { globalcontext_destroy(global); }
    void run() { REQUIRE(scheduler_run(global, kStepBound) != UINT64_MAX); }
    GlobalContext* global;
};

}  // namespace

TEST_CASE("struct Monitor is the 32-byte record the integration tests count", "[atomvm]") {
    // ListHead (2 pointers) + pid + flag, padded to 8, + ref_ticks.
    CHECK(sizeof(struct Monitor) == 32);
}

TEST_CASE("buggy termination leaves a link record per linked child and a monitor record per monitored process",
          "[atomvm]") {
    const uint64_t records_before = monitor_live_records();
    {
        Runtime runtime(RUNTIME_VARIANT_BUGGY);
        constexpr int64_t kWorkers = 4;
        int32_t parent = workload_start(runtime.global, kWorkers);
        REQUIRE(parent != 0);
        int64_t expected_checksum = 0;
        for (int batch = 1; batch <= 3; batch++) {
            REQUIRE(workload_run_batch(runtime.global, parent));
            for (int64_t n = (batch - 1) * 2 * kWorkers; n < batch * 2 * kWorkers; n++) {
                expected_checksum += workload_expected_result(n);
            }
            ParentStatus status = workload_parent_status(runtime.global, parent);
            CHECK(status.records == static_cast<size_t>(batch * 2 * kWorkers));
            CHECK(status.checksum == expected_checksum);
            CHECK(globalcontext_process_count(runtime.global) == 1);  // every worker is gone
            // Only the parent's stale records are alive: the workers freed their own.
            CHECK(monitor_live_records() - records_before == status.records);
        }
        CHECK(runtime.global->counters.down_messages == 3 * kWorkers);
    }
    // Shutdown frees what the parent still held.
    CHECK(monitor_live_records() == records_before);
}

TEST_CASE("fixed termination removes the peer's link record and releases the monitor record with the DOWN",
          "[atomvm]") {
    const uint64_t records_before = monitor_live_records();
    Runtime runtime(RUNTIME_VARIANT_FIXED);
    int32_t parent = workload_start(runtime.global, 5);
    for (int batch = 1; batch <= 3; batch++) {
        REQUIRE(workload_run_batch(runtime.global, parent));
        ParentStatus status = workload_parent_status(runtime.global, parent);
        CHECK(status.records == 0);
        CHECK(status.batches_done == batch);
        CHECK(monitor_live_records() == records_before);
    }
    CHECK(runtime.global->counters.down_messages == 15);
    workload_stop(runtime.global, parent);
    CHECK_FALSE(workload_parent_status(runtime.global, parent).alive);
    CHECK(globalcontext_process_count(runtime.global) == 0);
}

TEST_CASE("an abnormal exit kills a linked process that does not trap exits", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_FIXED);
    Context* survivor = erlang_spawn(runtime.global, recorder_body, 0, 0);
    Context* linked = erlang_spawn(runtime.global, recorder_body, 0, 0);
    int32_t linked_pid = linked->process_id;
    erlang_spawn_link(linked, exiting_body, EXIT_REASON_ERROR, 0);
    runtime.run();
    CHECK(globalcontext_get_process(runtime.global, linked_pid) == nullptr);
    CHECK(globalcontext_get_process(runtime.global, survivor->process_id) == survivor);
}

TEST_CASE("a normal exit is ignored by a linked process that does not trap exits", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_BUGGY);
    Context* parent = erlang_spawn(runtime.global, recorder_body, 0, 0);
    erlang_spawn_link(parent, exiting_body, EXIT_REASON_NORMAL, 0);
    runtime.run();
    CHECK(globalcontext_get_process(runtime.global, parent->process_id) == parent);
    CHECK(recordedMessages(parent).empty());
    // The buggy runtime's signature in one process: the dead child's link record is still here.
    CHECK(recordCount(parent) == 1);
}

TEST_CASE("a trapping process gets {'EXIT', Pid, Reason} for a linked process's death", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_FIXED);
    Context* parent = erlang_spawn(runtime.global, recorder_body, 0, 0);
    erlang_trap_exit(parent, true);
    Context* child = erlang_spawn_link(parent, exiting_body, EXIT_REASON_ERROR, 0);
    int32_t child_pid = child->process_id;
    runtime.run();
    auto messages = recordedMessages(parent);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == MESSAGE_EXIT);
    CHECK(messages[0].from == child_pid);
    CHECK(messages[0].reason == EXIT_REASON_ERROR);
    CHECK(recordCount(parent) == 0);
}

TEST_CASE("monitor delivers DOWN with its reference and the fixed runtime releases the watcher record",
          "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_FIXED);
    Context* watcher = erlang_spawn(runtime.global, recorder_body, 0, 0);
    Context* target = erlang_spawn(runtime.global, exiting_body, EXIT_REASON_ERROR, 0);
    int32_t target_pid = target->process_id;
    uint64_t ref = erlang_monitor(watcher, target_pid);
    REQUIRE(ref != 0);
    CHECK(context_find_monitor(watcher, target_pid, ref) != nullptr);
    CHECK(context_find_monitor(target, watcher->process_id, ref) != nullptr);
    runtime.run();
    auto messages = recordedMessages(watcher);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == MESSAGE_DOWN);
    CHECK(messages[0].ref == ref);
    CHECK(messages[0].from == target_pid);
    CHECK(messages[0].reason == EXIT_REASON_ERROR);
    CHECK(recordCount(watcher) == 0);
}

TEST_CASE("demonitor removes the monitor from both sides and no DOWN follows", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_BUGGY);
    Context* watcher = erlang_spawn(runtime.global, recorder_body, 0, 0);
    Context* target = erlang_spawn(runtime.global, wait_then_exit_body, 0, 0);
    uint64_t ref = erlang_monitor(watcher, target->process_id);
    CHECK(erlang_demonitor(watcher, ref));
    CHECK(recordCount(watcher) == 0);
    CHECK(recordCount(target) == 0);
    CHECK_FALSE(erlang_demonitor(watcher, ref));
    erlang_send(runtime.global, 0, target->process_id, 1);
    runtime.run();
    CHECK(recordedMessages(watcher).empty());
}

TEST_CASE("unlink removes the link from both sides, so the peer's crash no longer kills", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_BUGGY);
    Context* parent = erlang_spawn(runtime.global, recorder_body, 0, 0);
    Context* child = erlang_spawn_link(parent, wait_then_exit_body, 0, 0);
    REQUIRE(recordCount(parent) == 1);
    REQUIRE(recordCount(child) == 1);
    erlang_unlink(parent, child->process_id);
    CHECK(recordCount(parent) == 0);
    CHECK(recordCount(child) == 0);
    erlang_exit(parent, child->process_id, EXIT_REASON_ERROR);  // kills the child, which is no longer linked
    runtime.run();
    CHECK(globalcontext_get_process(runtime.global, parent->process_id) == parent);
    CHECK(globalcontext_process_count(runtime.global) == 1);
}

TEST_CASE("monitoring a dead pid gives DOWN noproc at once and keeps no record", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_BUGGY);
    Context* watcher = erlang_spawn(runtime.global, recorder_body, 0, 0);
    uint64_t ref = erlang_monitor(watcher, 4242);
    runtime.run();
    auto messages = recordedMessages(watcher);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == MESSAGE_DOWN);
    CHECK(messages[0].ref == ref);
    CHECK(messages[0].reason == EXIT_REASON_NOPROC);
    CHECK(recordCount(watcher) == 0);
}

TEST_CASE("monitor references are fresh and never 0, which marks a link", "[atomvm]") {
    Runtime runtime(RUNTIME_VARIANT_FIXED);
    uint64_t first = globalcontext_get_ref_ticks(runtime.global);
    uint64_t second = globalcontext_get_ref_ticks(runtime.global);
    CHECK(first != 0);
    CHECK(second > first);
    struct Monitor* link = monitor_link_new(7);
    CHECK(monitor_is_link(link));
    monitor_destroy(link);
}

TEST_CASE("the mailbox delivers in order and frees what it holds", "[atomvm]") {
    Mailbox mailbox;
    mailbox_init(&mailbox);
    for (int64_t value = 1; value <= 3; value++) {
        Message message{};
        message.kind = MESSAGE_TERM;
        message.value = value;
        REQUIRE(mailbox_send(&mailbox, &message) == 0);
    }
    Message out{};
    REQUIRE(mailbox_take(&mailbox, &out) == 0);
    CHECK(out.value == 1);
    REQUIRE(mailbox_take(&mailbox, &out) == 0);
    CHECK(out.value == 2);
    CHECK(mailbox.length == 1);
    mailbox_destroy(&mailbox);
    CHECK(mailbox.length == 0);
    CHECK(mailbox_take(&mailbox, &out) == -1);
}
