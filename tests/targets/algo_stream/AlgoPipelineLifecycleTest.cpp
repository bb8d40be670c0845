// The pipeline machinery with small counting elements: pause closes and resume reopens every element,
// states and status events follow, end of stream finishes the chain, a failing open is reported
// (targets/algo_stream/audio_element.h, audio_pipeline.h).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "audio_pipeline.h"

namespace {

constexpr int kChunkBytes = 64;

struct Counters {
    std::atomic<int> opens{0}, closes{0}, destroys{0};
    std::atomic<long> bytes{0};     // produced (source) or consumed (sink)
    long produce_limit = -1;        // source: AEL_IO_DONE after this many bytes; -1 never
    bool fail_open = false;
};

esp_err_t countOpen(audio_element_handle_t el) {
    auto* counters = static_cast<Counters*>(audio_element_getdata(el));
    counters->opens++;
    return counters->fail_open ? ESP_FAIL : ESP_OK;
}

esp_err_t countClose(audio_element_handle_t el) {
    static_cast<Counters*>(audio_element_getdata(el))->closes++;
    return ESP_OK;
}

esp_err_t countDestroy(audio_element_handle_t el) {
    static_cast<Counters*>(audio_element_getdata(el))->destroys++;
    return ESP_OK;
}

int produce(audio_element_handle_t el, char*, int) {
    auto* counters = static_cast<Counters*>(audio_element_getdata(el));
    if (counters->produce_limit >= 0 && counters->bytes >= counters->produce_limit) return AEL_IO_DONE;
    char chunk[kChunkBytes] = {};
    int written = audio_element_output(el, chunk, kChunkBytes);
    if (written > 0) counters->bytes += written;
    return written;
}

int consume(audio_element_handle_t el, char*, int) {
    auto* counters = static_cast<Counters*>(audio_element_getdata(el));
    char chunk[kChunkBytes];
    int read = audio_element_input(el, chunk, kChunkBytes);
    if (read > 0) counters->bytes += read;
    return read;
}

audio_element_handle_t makeElement(Counters& counters, process_func process, const char* tag) {
    audio_element_cfg_t cfg = {};
    cfg.open = countOpen;
    cfg.close = countClose;
    cfg.destroy = countDestroy;
    cfg.process = process;
    cfg.data = &counters;
    cfg.tag = tag;
    audio_element_handle_t el = audio_element_init(&cfg);
    REQUIRE(el);
    audio_element_set_input_timeout(el, 50);
    return el;
}

bool waitFor(const std::atomic<long>& value, long at_least) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (value < at_least && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return value >= at_least;
}

// Every status report queued so far, in order.
std::vector<audio_element_status_t> drainStatuses(audio_event_iface_handle_t events, audio_element_handle_t from) {
    std::vector<audio_element_status_t> statuses;
    audio_event_iface_msg_t msg;
    while (audio_event_iface_listen(events, &msg, 0) == 0)
        if (msg.source == from && msg.cmd == AEL_MSG_CMD_REPORT_STATUS)
            statuses.push_back(static_cast<audio_element_status_t>(reinterpret_cast<intptr_t>(msg.data)));
    return statuses;
}

struct TwoElementPipeline {
    Counters source_counters, sink_counters;
    audio_event_iface_cfg_t event_cfg = AUDIO_EVENT_IFACE_DEFAULT_CFG();
    audio_event_iface_handle_t events = audio_event_iface_init(&event_cfg);
    audio_pipeline_cfg_t pipeline_cfg = {1024};
    audio_pipeline_handle_t pipeline = audio_pipeline_init(&pipeline_cfg);
    audio_element_handle_t source = nullptr, sink = nullptr;

    void build() {
        source = makeElement(source_counters, produce, "src");
        sink = makeElement(sink_counters, consume, "dst");
        REQUIRE(audio_pipeline_register(pipeline, source, "src") == ESP_OK);
        REQUIRE(audio_pipeline_register(pipeline, sink, "dst") == ESP_OK);
        const char* link[] = {"src", "dst"};
        REQUIRE(audio_pipeline_link(pipeline, link, 2) == ESP_OK);
        audio_pipeline_set_listener(pipeline, events);
    }
    ~TwoElementPipeline() {
        audio_pipeline_deinit(pipeline);
        audio_event_iface_destroy(events);
    }
};

}  // namespace

namespace {

// The two ways upstream's pipeline closes and reopens its elements: pause then resume, and stop (and the
// wait for it) then run again after emptying the ring buffers.
struct Lifecycle {
    const char* name;
    audio_element_state_t closed_state;
    audio_element_status_t closed_status;
    esp_err_t (*close)(audio_pipeline_handle_t);
    esp_err_t (*reopen)(audio_pipeline_handle_t);
};

esp_err_t pauseOnly(audio_pipeline_handle_t pipeline) { return audio_pipeline_pause(pipeline); }

esp_err_t stopAndWait(audio_pipeline_handle_t pipeline) {
    if (audio_pipeline_stop(pipeline) != ESP_OK) return ESP_FAIL;
    return audio_pipeline_wait_for_stop(pipeline);
}

esp_err_t resetAndRun(audio_pipeline_handle_t pipeline) {
    audio_pipeline_reset_ringbuffer(pipeline);
    return audio_pipeline_run(pipeline);
}

}  // namespace

TEST_CASE("pipeline: pause/resume and stop/run close and reopen every element, and data flows again") {
    const Lifecycle lifecycle = GENERATE(
        Lifecycle{"pause/resume", AEL_STATE_PAUSED, AEL_STATUS_STATE_PAUSED, pauseOnly, audio_pipeline_resume},
        Lifecycle{"stop/run", AEL_STATE_STOPPED, AEL_STATUS_STATE_STOPPED, stopAndWait, resetAndRun});
    INFO(lifecycle.name);
    TwoElementPipeline chain;
    chain.build();
    REQUIRE(audio_pipeline_run(chain.pipeline) == ESP_OK);
    CHECK(audio_pipeline_run(chain.pipeline) == ESP_FAIL);  // already running
    REQUIRE(waitFor(chain.sink_counters.bytes, 4 * kChunkBytes));
    for (int cycle = 1; cycle <= 3; ++cycle) {
        REQUIRE(lifecycle.close(chain.pipeline) == ESP_OK);
        CHECK(audio_element_get_state(chain.source) == lifecycle.closed_state);
        CHECK(audio_element_get_state(chain.sink) == lifecycle.closed_state);
        CHECK(chain.source_counters.closes == cycle);
        CHECK(chain.sink_counters.closes == cycle);
        long consumed = chain.sink_counters.bytes;
        REQUIRE(lifecycle.reopen(chain.pipeline) == ESP_OK);
        CHECK(chain.source_counters.opens == cycle + 1);
        CHECK(chain.sink_counters.opens == cycle + 1);
        CHECK(audio_element_get_state(chain.sink) == AEL_STATE_RUNNING);
        CHECK(waitFor(chain.sink_counters.bytes, consumed + 4 * kChunkBytes));
    }
    auto statuses = drainStatuses(chain.events, chain.sink);
    std::vector<audio_element_status_t> expected = {AEL_STATUS_STATE_RUNNING};
    for (int cycle = 0; cycle < 3; ++cycle) {
        expected.push_back(lifecycle.closed_status);
        expected.push_back(AEL_STATUS_STATE_RUNNING);
    }
    CHECK(statuses == expected);
    REQUIRE(stopAndWait(chain.pipeline) == ESP_OK);
    CHECK(audio_element_get_state(chain.source) == AEL_STATE_STOPPED);
    CHECK(chain.source_counters.closes == 4);
    CHECK(chain.source_counters.destroys == 0);
}

TEST_CASE("pipeline: deinit destroys every element once") {
    Counters* source_counters;
    Counters* sink_counters;
    {
        TwoElementPipeline chain;
        chain.build();
        source_counters = &chain.source_counters;
        sink_counters = &chain.sink_counters;
        REQUIRE(audio_pipeline_run(chain.pipeline) == ESP_OK);
        REQUIRE(waitFor(chain.sink_counters.bytes, kChunkBytes));
        audio_pipeline_deinit(chain.pipeline);
        CHECK(source_counters->destroys == 1);
        CHECK(sink_counters->destroys == 1);
        CHECK(source_counters->closes == 1);  // terminate closed the open elements
        chain.pipeline = audio_pipeline_init(&chain.pipeline_cfg);  // the destructor deinits an empty one
    }
}

TEST_CASE("pipeline: the end of the source's stream finishes the whole chain") {
    TwoElementPipeline chain;
    chain.source_counters.produce_limit = 10 * kChunkBytes;
    chain.build();
    REQUIRE(audio_pipeline_run(chain.pipeline) == ESP_OK);
    REQUIRE(audio_pipeline_wait_for_stop(chain.pipeline) == ESP_OK);
    CHECK(audio_element_get_state(chain.source) == AEL_STATE_FINISHED);
    CHECK(audio_element_get_state(chain.sink) == AEL_STATE_FINISHED);
    CHECK(chain.sink_counters.bytes == 10 * kChunkBytes);  // drained everything before finishing
    CHECK(chain.sink_counters.closes == 1);
}

TEST_CASE("element: an open that fails makes resume fail and is reported as AEL_STATUS_ERROR_OPEN") {
    TwoElementPipeline chain;
    chain.sink_counters.fail_open = true;
    chain.build();
    CHECK(audio_pipeline_run(chain.pipeline) == ESP_FAIL);
    CHECK(audio_element_get_state(chain.sink) == AEL_STATE_ERROR);
    auto statuses = drainStatuses(chain.events, chain.sink);
    CHECK(statuses == std::vector<audio_element_status_t>{AEL_STATUS_ERROR_OPEN});
    CHECK(chain.sink_counters.closes == 0);  // never opened, never closed
}
