/* The algorithm stream element (ESP-ADF algorithm_stream.h): feeds the microphone ("record") and the
 * playback ("reference") signal to the audio front end and outputs its processed mono stream.
 *
 * Input type 1: one interleaved stream, record and reference channels, on the main input.
 * Input type 2: record on the main input, reference on extra input 0.
 *
 * Port addition: `release_afe_on_close` selects the behaviour of _algo_close. false is the original
 * bug (the AFE instance is destroyed only in _algo_destroy, so every close/open pair, i.e. every
 * pipeline pause/resume, leaks one instance); true is the upstream fix (close destroys it once the
 * fetch task has stopped and clears the pointer). */
#ifndef ALGO_STREAM_ALGORITHM_STREAM_H
#define ALGO_STREAM_ALGORITHM_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "audio_element.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ALGORITHM_STREAM_INPUT_TYPE1 = 1,
    ALGORITHM_STREAM_INPUT_TYPE2 = 2,
} algorithm_stream_input_type_t;

typedef enum {
    ALGORITHM_STREAM_USE_AEC = 1 << 0,
    ALGORITHM_STREAM_USE_AGC = 1 << 1,
    ALGORITHM_STREAM_USE_NS = 1 << 2,
    ALGORITHM_STREAM_USE_VAD = 1 << 3,
} algorithm_stream_mask_t;

typedef struct {
    algorithm_stream_input_type_t input_type;
    int task_stack;
    int task_prio;
    int task_core;
    int out_rb_size;
    int8_t algo_mask;          /* algorithm_stream_mask_t bits */
    float rec_linear_factor;   /* gain on the record channel, > 0 */
    float ref_linear_factor;   /* gain on the reference channel, > 0 */
    int sample_rate;           /* 16000 is the only rate the front end runs at */
    int agc_mode;              /* 0 off, else adaptive */
    int agc_target_level_dbfs; /* -dBFS */
    bool release_afe_on_close; /* port only: false = original bug, true = upstream fix */
} algorithm_stream_cfg_t;

#define ALGORITHM_STREAM_CFG_DEFAULT() {                                                            \
    .input_type = ALGORITHM_STREAM_INPUT_TYPE1,                                                     \
    .task_stack = 256 * 1024,                                                                       \
    .task_prio = 10,                                                                                \
    .task_core = 1,                                                                                 \
    .out_rb_size = 8 * 1024,                                                                        \
    .algo_mask = ALGORITHM_STREAM_USE_AEC | ALGORITHM_STREAM_USE_NS | ALGORITHM_STREAM_USE_VAD |   \
                 ALGORITHM_STREAM_USE_AGC,                                                          \
    .rec_linear_factor = 1.0f,                                                                      \
    .ref_linear_factor = 1.0f,                                                                      \
    .sample_rate = 16000,                                                                           \
    .agc_mode = 1,                                                                                  \
    .agc_target_level_dbfs = 3,                                                                     \
    .release_afe_on_close = true,                                                                   \
}

/* The element, or NULL when the config is invalid (type, gains <= 0, rate) or out of memory. */
audio_element_handle_t algo_stream_init(const algorithm_stream_cfg_t *config);

/* What the element's fetch task has seen since init. */
typedef struct {
    uint64_t frames_out;            /* processed frames written to the output */
    double single_talk_mic_energy;  /* after each instance's settling time, see afe_fetch_result_t */
    double single_talk_out_energy;
} algo_stream_stats_t;

void algo_stream_get_stats(audio_element_handle_t el, algo_stream_stats_t *stats);
/* 10 log10(mic / out) over the counted far-end single talk; 0 when nothing was counted. */
double algo_stream_erle_db(const algo_stream_stats_t *stats);

#ifdef __cplusplus
}
#endif

#endif
