// The AtomVM port's runtime without the tool: links, monitors, exit signals and the records each side
// keeps, in the pre-fix model (v0.6.5, the buggy variant) and the post-fix model (v0.6.6, the fixed one).
#include <catch2/catch.hpp>

#include <vector>

#include "globalcontext.h"
#include "monitor.h"
#include "process_model.h"
#include "scheduler.h"
#include "workload.h"

namespace {

constexpr uint64_t kStepBound = 10000;

// A process that never exits on its own and writes down every message it receives into its heap:
// heap[0] = count, then four words per message (kind, from, ref, reason).
ProcessStep recorder_body(Context* ctx) {
    Message message;
    while (process_receive(ctx, &message)) {
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
    if (!process_receive(ctx, &message)) return PROCESS_WAIT;
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
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;
    void run() { REQUIRE(scheduler_run(global, kStepBound) != UINT64_MAX); }
    // A first process, started by the runtime rather than spawned (as AtomVM starts its first process).
    Context* start(ProcessBody body, term arg0 = 0) {
        Context* ctx = context_new(global, body, PROCESS_HEAP_WORDS);
        REQUIRE(ctx != nullptr);
        ctx->x[0] = arg0;
        return ctx;
    }
    bool alive(int32_t pid) const { return globalcontext_get_process(global, pid) != nullptr; }
    GlobalContext* global;
};

const char* variantName(RuntimeVariant variant) { return variant == RUNTIME_VARIANT_BUGGY ? "buggy" : "fixed"; }

constexpr SpawnOptions kLink = {true, false};

}  // namespace

TEST_CASE("struct Monitor is upstream's 32-byte record the integration tests count", "[atomvm]") {
    // ListHead (2 pointers) + ref_ticks + monitor_obj.
    CHECK(sizeof(struct Monitor) == 32);
}

TEST_CASE("each workload: the pre-fix long-lived process keeps one record per dead peer, the fixed one none",
          "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    const bool links = GENERATE(true, false);  // (a) spawn_linked workers, or (b) clients monitoring the server
    INFO(variantName(variant) << (links ? ", links" : ", monitors"));
    const uint64_t records_before = monitor_live_records();
    constexpr int64_t kPeers = 4;
    {
        Runtime runtime(variant);
        Workload workload;
        REQUIRE(workload_start(&workload, runtime.global, WorkloadConfig{kPeers, links, !links, false}));
        int64_t expected_checksum = 0;
        for (int batch = 1; batch <= 3; batch++) {
            REQUIRE(workload_run_batch(&workload));
            // Batch b numbers its workers from 2K(b-1) and its clients from 2K(b-1) + K.
            int64_t first = (batch - 1) * 2 * kPeers + (links ? 0 : kPeers);
            for (int64_t n = first; n < first + kPeers; n++)
                expected_checksum += links ? workload_expected_result(n) : 2 * n;  // a result, or the server's reply
            WorkloadStatus status = workload_status(&workload);
            size_t expected = variant == RUNTIME_VARIANT_BUGGY ? static_cast<size_t>(batch * kPeers) : 0;
            // The record stays on the long-lived side: the parent for a link, the monitored server for a
            // monitor (the dead clients held nothing before the fix).
            CHECK(status.parent_records == (links ? expected : 0));
            CHECK(status.server_records == (links ? 0 : expected));
            CHECK(status.checksum == expected_checksum);
            CHECK(status.exit_messages == 0);  // normal exits, non-trapping parent: nothing is sent
            CHECK(globalcontext_process_count(runtime.global) == 2);  // every worker and client is gone
            CHECK(monitor_live_records() - records_before == expected);
        }
        CHECK(runtime.global->counters.down_messages == 0);  // nobody watched a process that died
        workload_stop(&workload);
        CHECK(globalcontext_process_count(runtime.global) == 0);
    }
    CHECK(monitor_live_records() == records_before);
}

TEST_CASE("links workload with a trapping parent: the link records go in both models", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Workload workload;
    REQUIRE(workload_start(&workload, runtime.global, WorkloadConfig{3, true, false, true}));
    for (int batch = 1; batch <= 3; batch++) {
        REQUIRE(workload_run_batch(&workload));
        WorkloadStatus status = workload_status(&workload);
        CHECK(status.parent_records == 0);
        CHECK(status.exit_messages == 3 * batch);
    }
}

TEST_CASE("an abnormal exit kills a linked process that does not trap exits", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* survivor = runtime.start(recorder_body);
    Context* linked = runtime.start(recorder_body);
    int32_t linked_pid = linked->process_id;
    REQUIRE(nif_spawn_opt(linked, exiting_body, EXIT_REASON_ERROR, 0, kLink, nullptr) != nullptr);
    runtime.run();
    CHECK_FALSE(runtime.alive(linked_pid));
    CHECK(runtime.alive(survivor->process_id));
}

TEST_CASE("a normal exit is ignored by a non-trapping linked process and only the pre-fix one keeps the record",
          "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* parent = runtime.start(recorder_body);
    REQUIRE(nif_spawn_opt(parent, exiting_body, EXIT_REASON_NORMAL, 0, kLink, nullptr) != nullptr);
    CHECK(recordCount(parent) == 1);
    runtime.run();
    CHECK(runtime.alive(parent->process_id));
    CHECK(recordedMessages(parent).empty());
    // The pre-fix leak in one process: the dead child's half link is still on the parent.
    CHECK(recordCount(parent) == (variant == RUNTIME_VARIANT_BUGGY ? 1u : 0u));
}

TEST_CASE("a trapping process gets {'EXIT', Pid, Reason} for a linked process's death and drops the link",
          "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    ExitReason reason = GENERATE(EXIT_REASON_NORMAL, EXIT_REASON_ERROR);
    INFO(variantName(variant) << ", reason " << exit_reason_name(reason));
    Runtime runtime(variant);
    Context* parent = runtime.start(recorder_body);
    parent->trap_exit = true;
    Context* child = nif_spawn_opt(parent, exiting_body, reason, 0, kLink, nullptr);
    REQUIRE(child != nullptr);
    int32_t child_pid = child->process_id;
    runtime.run();
    auto messages = recordedMessages(parent);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == MESSAGE_EXIT);
    CHECK(messages[0].from == child_pid);
    CHECK(messages[0].reason == reason);
    CHECK(recordCount(parent) == 0);
}

TEST_CASE("monitor: DOWN with its reference, the pre-fix record lives on the target only", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* watcher = runtime.start(recorder_body);
    Context* target = runtime.start(exiting_body, EXIT_REASON_ERROR);
    int32_t target_pid = target->process_id;
    uint64_t ref = nif_monitor(watcher, target_pid);
    REQUIRE(ref != 0);
    if (variant == RUNTIME_VARIANT_BUGGY) {
        CHECK(recordCount(watcher) == 0);  // context_monitor put the one record on the target
        CHECK(recordCount(target) == 1);
    } else {
        CHECK(recordCount(watcher) == 1);  // monitoring side, on the watcher's own list
        CHECK(target->signals.length == 1);  // the monitored side, handed over by a signal
    }
    runtime.run();
    auto messages = recordedMessages(watcher);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == MESSAGE_DOWN);
    CHECK(messages[0].ref == ref);
    CHECK(messages[0].from == target_pid);
    CHECK(messages[0].reason == EXIT_REASON_ERROR);
    CHECK(recordCount(watcher) == 0);
}

TEST_CASE("a dead watcher's monitor stays on the live target before the fix, and goes after it", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* target = runtime.start(recorder_body);
    Context* watcher = runtime.start(wait_then_exit_body);
    REQUIRE(nif_monitor(watcher, target->process_id) != 0);
    Message wake{};
    wake.kind = MESSAGE_TERM;
    context_send(watcher, &wake);
    runtime.run();
    CHECK_FALSE(runtime.alive(watcher->process_id));
    CHECK(recordedMessages(target).empty());
    CHECK(recordCount(target) == (variant == RUNTIME_VARIANT_BUGGY ? 1u : 0u));
}

TEST_CASE("demonitor removes the monitor and no DOWN follows", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* watcher = runtime.start(recorder_body);
    Context* target = runtime.start(wait_then_exit_body);
    uint64_t ref = nif_monitor(watcher, target->process_id);
    runtime.run();  // the fixed target takes its record from the signal
    CHECK(nif_demonitor(watcher, ref));
    CHECK_FALSE(nif_demonitor(watcher, ref));
    runtime.run();
    CHECK(recordCount(watcher) == 0);
    CHECK(recordCount(target) == 0);
    Message wake{};
    wake.kind = MESSAGE_TERM;
    context_send(target, &wake);
    runtime.run();
    CHECK_FALSE(runtime.alive(target->process_id));
    CHECK(recordedMessages(watcher).empty());
}

TEST_CASE("unlink removes the link from both sides, so the peer's crash no longer kills", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* parent = runtime.start(recorder_body);
    Context* child = nif_spawn_opt(parent, wait_then_exit_body, 0, 0, kLink, nullptr);
    REQUIRE(child != nullptr);
    int32_t child_pid = child->process_id;
    REQUIRE(recordCount(parent) == 1);
    REQUIRE(recordCount(child) == 1);
    nif_unlink(parent, child_pid);
    runtime.run();
    CHECK(recordCount(parent) == 0);
    CHECK(recordCount(child) == 0);
    process_exit(parent, child_pid, EXIT_REASON_ERROR);  // kills the child, which is no longer linked
    runtime.run();
    CHECK(runtime.alive(parent->process_id));
    CHECK_FALSE(runtime.alive(child_pid));
}

TEST_CASE("monitoring a dead pid gives DOWN noproc at once and keeps no record", "[atomvm]") {
    RuntimeVariant variant = GENERATE(RUNTIME_VARIANT_BUGGY, RUNTIME_VARIANT_FIXED);
    INFO(variantName(variant));
    Runtime runtime(variant);
    Context* watcher = runtime.start(recorder_body);
    uint64_t ref = nif_monitor(watcher, 4242);
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
