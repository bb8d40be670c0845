/* algo_pipeline: the ESP-ADF algorithm stream pipeline on Linux, run through N pause/resume (or
 * stop/run) cycles.
 *
 *   mic_source --(ring buffer)--> algorithm (AFE: NLMS echo canceller) --(ring buffer)--> sink
 *
 * Each cycle lets a fixed amount of processed audio reach the sink, then pauses the pipeline (every
 * element closes) and resumes it (every element opens again), or with --lifecycle stop stops it, waits
 * for the stop, empties the ring buffers and runs it again (the same close and open), and takes a
 * leakscope snapshot right after the restart while audio flows again. With --variant buggy each cycle leaks one AFE instance, exactly as
 * the original algorithm_stream did; --variant fixed leaks nothing. At the end it prints the echo
 * canceller's ERLE on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <leakscope/leakscope.h>

#include "afe_interface.h"
#include "algorithm_stream.h"
#include "audio_pipeline.h"
#include "cli_options.h"
#include "sinks.h"
#include "sources.h"

#define PIPELINE_RB_SIZE (8 * 1024)
#define FLOW_TIMEOUT_MS 10000          /* a cycle's audio must reach the sink within this */
#define SOURCE_SEED 20240611u

typedef struct {
    audio_pipeline_handle_t pipeline;
    audio_event_iface_handle_t events;
    audio_element_handle_t source;
    audio_element_handle_t algo;
    audio_element_handle_t sink;
    ringbuf_handle_t reference_rb;     /* input type 2: source extra output 0 -> algorithm extra input 0 */
} algo_app_t;

/* Says what went wrong on one line; returns -1 for the caller to pass on. */
static int fail(const char *what) {
    fprintf(stderr, "algo_pipeline: %s\n", what);
    return -1;
}

/* Builds and links the three elements. Returns 0, or -1 after saying why. */
static int build_pipeline(algo_app_t *app, const cli_options_t *options) {
    audio_event_iface_cfg_t event_cfg = AUDIO_EVENT_IFACE_DEFAULT_CFG();
    audio_pipeline_cfg_t pipeline_cfg = DEFAULT_AUDIO_PIPELINE_CONFIG();
    pipeline_cfg.rb_size = PIPELINE_RB_SIZE;
    app->events = audio_event_iface_init(&event_cfg);
    app->pipeline = audio_pipeline_init(&pipeline_cfg);

    mic_source_cfg_t source_cfg = {.input_type = options->input_type, .chunk_samples = AFE_FEED_CHUNK_SAMPLES,
                                   .seed = SOURCE_SEED, .out_rb_size = PIPELINE_RB_SIZE};
    app->source = mic_source_init(&source_cfg);
    algorithm_stream_cfg_t algo_cfg = ALGORITHM_STREAM_CFG_DEFAULT();
    algo_cfg.input_type = options->input_type;
    algo_cfg.release_afe_on_close = options->fixed;
    app->algo = algo_stream_init(&algo_cfg);
    audio_sink_cfg_t sink_cfg = {.path = options->out_path, .read_bytes = AFE_FEED_CHUNK_SAMPLES * 2};
    app->sink = audio_sink_init(&sink_cfg);
    if (!app->sink && options->out_path) {
        fprintf(stderr, "algo_pipeline: cannot create '%s': %s\n", options->out_path, strerror(errno));
        return -1;
    }
    if (!app->events || !app->pipeline || !app->source || !app->algo || !app->sink) {
        return fail("out of memory while building the pipeline");
    }
    audio_pipeline_register(app->pipeline, app->source, "mic");
    audio_pipeline_register(app->pipeline, app->algo, "algo");
    audio_pipeline_register(app->pipeline, app->sink, "sink");
    const char *link[] = {"mic", "algo", "sink"};
    if (audio_pipeline_link(app->pipeline, link, 3) != ESP_OK) {
        return fail("cannot link the pipeline");
    }
    if (options->input_type == ALGORITHM_STREAM_INPUT_TYPE2) {
        app->reference_rb = rb_create(PIPELINE_RB_SIZE, 1);
        if (!app->reference_rb) return fail("out of memory for the reference ring buffer");
        audio_element_set_multi_output_ringbuf(app->source, app->reference_rb, 0);
        audio_element_set_multi_input_ringbuf(app->algo, app->reference_rb, 0);
    }
    audio_pipeline_set_listener(app->pipeline, app->events);
    return 0;
}

/* Takes every queued element report; -1 if an element reported an error. */
static int drain_events(algo_app_t *app) {
    audio_event_iface_msg_t msg;
    int result = 0;
    while (audio_event_iface_listen(app->events, &msg, 0) == 0) {
        audio_element_status_t status = (audio_element_status_t)(intptr_t)msg.data;
        if (msg.cmd == AEL_MSG_CMD_REPORT_STATUS &&
            (status == AEL_STATUS_ERROR_OPEN || status == AEL_STATUS_ERROR_PROCESS || status == AEL_STATUS_ERROR_CLOSE)) {
            fprintf(stderr, "algo_pipeline: element '%s' reported error status %d\n",
                    audio_element_get_tag((audio_element_handle_t)msg.source), (int)status);
            result = -1;
        }
    }
    return result;
}

/* Closes and reopens every element the way the chosen lifecycle does. */
static int restart(audio_pipeline_handle_t pipeline, algo_lifecycle_t lifecycle) {
    if (lifecycle == ALGO_LIFECYCLE_PAUSE) {
        if (audio_pipeline_pause(pipeline) != ESP_OK) return fail("pause failed");
        if (audio_pipeline_resume(pipeline) != ESP_OK) return fail("resume failed");
        return 0;
    }
    if (audio_pipeline_stop(pipeline) != ESP_OK) return fail("stop failed");
    if (audio_pipeline_wait_for_stop(pipeline) != ESP_OK) return fail("wait for stop failed");
    audio_pipeline_reset_ringbuffer(pipeline);
    if (audio_pipeline_run(pipeline) != ESP_OK) return fail("run after stop failed");
    return 0;
}

static int run_cycles(algo_app_t *app, const cli_options_t *options) {
    const uint64_t bytes_per_cycle = (uint64_t)options->chunks_per_cycle * AFE_FEED_CHUNK_SAMPLES * sizeof(int16_t);
    if (audio_pipeline_run(app->pipeline) != ESP_OK) return fail("the pipeline did not start");
    for (long cycle = 1; cycle <= options->cycles; ++cycle) {
        uint64_t target = audio_sink_bytes_received(app->sink) + bytes_per_cycle;
        if (audio_sink_wait_for_bytes(app->sink, target, FLOW_TIMEOUT_MS) != ESP_OK) {
            fprintf(stderr, "algo_pipeline: no audio reached the sink for %d ms in cycle %ld\n", FLOW_TIMEOUT_MS, cycle);
            return -1;
        }
        if (drain_events(app) != 0) return -1;
        if (restart(app->pipeline, options->lifecycle) != 0) return -1;
        leakscope_snapshot("cycle");
    }
    return drain_events(app);
}

static void teardown(algo_app_t *app) {
    if (app->pipeline) {
        audio_pipeline_stop(app->pipeline);
        audio_pipeline_wait_for_stop(app->pipeline);
        audio_pipeline_terminate(app->pipeline);
        audio_pipeline_deinit(app->pipeline); /* deinits the registered elements */
    } else {
        if (app->source) audio_element_deinit(app->source);
        if (app->algo) audio_element_deinit(app->algo);
        if (app->sink) audio_element_deinit(app->sink);
    }
    if (app->reference_rb) rb_destroy(app->reference_rb);
    if (app->events) audio_event_iface_destroy(app->events);
}

int main(int argc, char **argv) {
    cli_options_t options;
    char error[256];
    if (!cli_options_parse(argc, argv, &options, error, sizeof(error))) {
        fprintf(stderr, "algo_pipeline: %s (%s)\n", error, ALGO_PIPELINE_USAGE);
        return 2;
    }
    if (options.help) {
        printf("%s\n", ALGO_PIPELINE_USAGE);
        return 0;
    }
    algo_app_t app = {0};
    int status = build_pipeline(&app, &options) == 0 && run_cycles(&app, &options) == 0 ? 0 : 1;
    if (status == 0 && app.algo) {
        audio_pipeline_stop(app.pipeline); /* the fetch task's counters are final once the element closed */
        algo_stream_stats_t stats;
        algo_stream_get_stats(app.algo, &stats);
        fprintf(stderr, "algo_pipeline: %ld cycles (%s, input type %d, %s), %llu frames processed, "
                "ERLE %.1f dB over far-end single talk\n",
                options.cycles, options.fixed ? "fixed" : "buggy", options.input_type,
                options.lifecycle == ALGO_LIFECYCLE_STOP ? "stop/run" : "pause/resume",
                (unsigned long long)stats.frames_out, algo_stream_erle_db(&stats));
    }
    teardown(&app);
    return status;
}
