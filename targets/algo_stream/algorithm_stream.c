/* The algorithm stream element, ported from ESP-ADF's algorithm_stream.c: its open/process/close/destroy
 * callbacks and the AFE fetch task. The AFE instance's lifecycle is the point of this target: see
 * _algo_open (create) and _algo_close (destroy, or not) below. */
#include "algorithm_stream.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "afe_interface.h"
#include "rtos_shim.h"

#define FETCH_STOPPED_BIT (1u << 0)
#define ALGO_REFERENCE_READ_TIMEOUT_MS 20  /* type 2: a missing reference chunk is replaced by silence */
#define ALGO_OUTPUT_TIMEOUT_MS 200         /* the fetch task rechecks afe_fetch_run at least this often */
#define ALGO_CLOSE_FEED_PERIOD_MS 5        /* close feeds silence at this pace until the fetch task stops */
#define ALGO_SETTLE_FRAMES 16              /* frames (256 ms) of each new instance not counted in ERLE */
#define ALGO_MAX_CHUNK_SAMPLES 512

typedef struct {
    int16_t *record;            /* type 2: one chunk of the main input */
    int16_t *reference;         /* type 2: one chunk of extra input 0 */
    int16_t *aec_buff;          /* one interleaved chunk handed to feed; made in open, freed in close */
    int aec_buff_size;          /* bytes */
    int8_t algo_mask;
    atomic_bool afe_fetch_run;
    const esp_afe_sr_iface_t *afe_handle;
    esp_afe_sr_data_t *afe_data;
    os_event_group_t *state;    /* FETCH_STOPPED_BIT */
    srmodel_list_t *models;
    pthread_t fetch_task;
    bool fetch_task_started;

    algorithm_stream_input_type_t input_type;
    float rec_linear_factor;
    float ref_linear_factor;
    int sample_rate;
    int agc_mode;
    int agc_target_level_dbfs;
    bool release_afe_on_close;

    pthread_mutex_t stats_lock; /* the fetch task writes, anyone reads */
    algo_stream_stats_t stats;
} algo_stream_t;

static int16_t scaled(int16_t sample, float factor) {
    float value = sample * factor;
    return value > 32767.0f ? 32767 : (value < -32768.0f ? -32768 : (int16_t)value);
}

/* Frees what algo_stream_init made (the AFE instance is the callers' business). */
static void free_algo_stream(algo_stream_t *algo) {
    free(algo->record);
    free(algo->reference);
    os_event_group_destroy(algo->state);
    esp_srmodel_deinit(algo->models);
    pthread_mutex_destroy(&algo->stats_lock);
    free(algo);
}

__attribute__((noinline)) void *_algo_fetch_task(void *arg) {
    audio_element_handle_t self = arg;
    algo_stream_t *algo = audio_element_getdata(self);
    int frames_of_this_instance = 0;
    while (atomic_load(&algo->afe_fetch_run) && algo->afe_data) {
        afe_fetch_result_t *result = algo->afe_handle->fetch(algo->afe_data);
        if (!result || result->ret_value != 0) continue;
        pthread_mutex_lock(&algo->stats_lock);
        algo->stats.frames_out++;
        if (++frames_of_this_instance > ALGO_SETTLE_FRAMES) {
            algo->stats.single_talk_mic_energy += result->single_talk_mic_energy;
            algo->stats.single_talk_out_energy += result->single_talk_out_energy;
        }
        pthread_mutex_unlock(&algo->stats_lock);
        audio_element_output(self, (const char *)result->data, result->data_size);
    }
    os_event_group_set_bits(algo->state, FETCH_STOPPED_BIT);
    return NULL;
}

__attribute__((noinline)) esp_err_t _algo_open(audio_element_handle_t self) {
    algo_stream_t *algo = audio_element_getdata(self);
    afe_config_t *afe_config = afe_config_init("MR", algo->models, AFE_TYPE_VC, AFE_MODE_LOW_COST);
    if (!afe_config) return ESP_FAIL;
    afe_config->aec_init = (algo->algo_mask & ALGORITHM_STREAM_USE_AEC) != 0;
    afe_config->ns_init = (algo->algo_mask & ALGORITHM_STREAM_USE_NS) != 0;
    afe_config->vad_init = (algo->algo_mask & ALGORITHM_STREAM_USE_VAD) != 0;
    afe_config->agc_init = (algo->algo_mask & ALGORITHM_STREAM_USE_AGC) != 0;
    afe_config->agc_mode = algo->agc_mode;
    afe_config->agc_target_level_dbfs = algo->agc_target_level_dbfs;
    afe_config->pcm_config.sample_rate = algo->sample_rate;
    algo->afe_handle = esp_afe_handle_from_config(afe_config);
    /* The original's bug lives here: in the buggy variant afe_data still holds the instance of the
     * previous open, and this assignment loses it. */
    algo->afe_data = algo->afe_handle->create_from_config(afe_config);
    afe_config_free(afe_config);
    if (!algo->afe_data) return ESP_FAIL;

    atomic_store(&algo->afe_fetch_run, true);
    os_event_group_clear_bits(algo->state, FETCH_STOPPED_BIT);
    if (pthread_create(&algo->fetch_task, NULL, _algo_fetch_task, self) != 0) {
        atomic_store(&algo->afe_fetch_run, false);
        return ESP_FAIL;
    }
    algo->fetch_task_started = true;

    int chunksize = algo->afe_handle->get_feed_chunksize(algo->afe_data);
    int channels = algo->afe_handle->get_feed_channel_num(algo->afe_data);
    algo->aec_buff_size = chunksize * channels * (int)sizeof(int16_t);
    algo->aec_buff = calloc(1, (size_t)algo->aec_buff_size);
    return algo->aec_buff ? ESP_OK : ESP_FAIL;
}

__attribute__((noinline)) int _algo_process(audio_element_handle_t self, char *in_buffer, int in_len) {
    (void)in_buffer;
    (void)in_len;
    algo_stream_t *algo = audio_element_getdata(self);
    int chunk = algo->aec_buff_size / (2 * (int)sizeof(int16_t));
    if (algo->input_type == ALGORITHM_STREAM_INPUT_TYPE1) {
        int read = audio_element_input(self, (char *)algo->aec_buff, algo->aec_buff_size);
        if (read < 0) return read;
        for (int n = 0; n < chunk; ++n) {
            algo->aec_buff[2 * n] = scaled(algo->aec_buff[2 * n], algo->rec_linear_factor);
            algo->aec_buff[2 * n + 1] = scaled(algo->aec_buff[2 * n + 1], algo->ref_linear_factor);
        }
    } else {
        int chunk_bytes = chunk * (int)sizeof(int16_t);
        int read = audio_element_input(self, (char *)algo->record, chunk_bytes);
        if (read < 0) return read;
        int ref = audio_element_multi_input(self, (char *)algo->reference, chunk_bytes, 0,
                                            ALGO_REFERENCE_READ_TIMEOUT_MS);
        if (ref == AEL_IO_TIMEOUT) memset(algo->reference, 0, (size_t)chunk_bytes);
        else if (ref < 0) return ref;
        for (int n = 0; n < chunk; ++n) {
            algo->aec_buff[2 * n] = scaled(algo->record[n], algo->rec_linear_factor);
            algo->aec_buff[2 * n + 1] = scaled(algo->reference[n], algo->ref_linear_factor);
        }
    }
    algo->afe_handle->feed(algo->afe_data, algo->aec_buff);
    return algo->aec_buff_size;
}

__attribute__((noinline)) esp_err_t _algo_close(audio_element_handle_t self) {
    algo_stream_t *algo = audio_element_getdata(self);
    atomic_store(&algo->afe_fetch_run, false);
    if (algo->fetch_task_started) {
        /* The fetch task may sit in a blocking fetch: keep feeding silence until it has left. */
        if (algo->aec_buff) memset(algo->aec_buff, 0, (size_t)algo->aec_buff_size);
        while (!(os_event_group_wait_bits(algo->state, FETCH_STOPPED_BIT, false, true, ALGO_CLOSE_FEED_PERIOD_MS) &
                 FETCH_STOPPED_BIT)) {
            if (algo->aec_buff && algo->afe_data) algo->afe_handle->feed(algo->afe_data, algo->aec_buff);
        }
        pthread_join(algo->fetch_task, NULL); /* FreeRTOS tasks delete themselves; a thread is joined */
        algo->fetch_task_started = false;
    }
    if (algo->release_afe_on_close && algo->afe_data) {
        /* The upstream fix: the instance ends with the open/close pair that made it. */
        algo->afe_handle->destroy(algo->afe_data);
        algo->afe_data = NULL;
    }
    free(algo->aec_buff);
    algo->aec_buff = NULL;
    return ESP_OK;
}

__attribute__((noinline)) esp_err_t _algo_destroy(audio_element_handle_t self) {
    algo_stream_t *algo = audio_element_getdata(self);
    if (algo->afe_data) { /* the only destroy in the original: it frees the last instance alone */
        algo->afe_handle->destroy(algo->afe_data);
        algo->afe_data = NULL;
    }
    free_algo_stream(algo);
    return ESP_OK;
}

static bool config_is_valid(const algorithm_stream_cfg_t *config) {
    return config &&
           (config->input_type == ALGORITHM_STREAM_INPUT_TYPE1 || config->input_type == ALGORITHM_STREAM_INPUT_TYPE2) &&
           config->rec_linear_factor > 0.0f && config->ref_linear_factor > 0.0f &&
           config->sample_rate == AFE_SAMPLE_RATE && config->out_rb_size > 0;
}

audio_element_handle_t algo_stream_init(const algorithm_stream_cfg_t *config) {
    if (!config_is_valid(config)) return NULL;
    algo_stream_t *algo = calloc(1, sizeof(*algo));
    if (!algo) return NULL;
    algo->input_type = config->input_type;
    algo->algo_mask = config->algo_mask;
    algo->rec_linear_factor = config->rec_linear_factor;
    algo->ref_linear_factor = config->ref_linear_factor;
    algo->sample_rate = config->sample_rate;
    algo->agc_mode = config->agc_mode;
    algo->agc_target_level_dbfs = config->agc_target_level_dbfs;
    algo->release_afe_on_close = config->release_afe_on_close;
    pthread_mutex_init(&algo->stats_lock, NULL);
    algo->state = os_event_group_create();
    algo->models = esp_srmodel_init("model");
    bool buffers_ok = true;
    if (config->input_type == ALGORITHM_STREAM_INPUT_TYPE2) {
        algo->record = calloc(ALGO_MAX_CHUNK_SAMPLES, sizeof(int16_t));
        algo->reference = calloc(ALGO_MAX_CHUNK_SAMPLES, sizeof(int16_t));
        buffers_ok = algo->record && algo->reference;
    }
    audio_element_cfg_t element_cfg = {
        .open = _algo_open,
        .process = _algo_process,
        .close = _algo_close,
        .destroy = _algo_destroy,
        .task_stack = config->task_stack,
        .task_prio = config->task_prio,
        .task_core = config->task_core,
        .out_rb_size = config->out_rb_size,
        .data = algo,
        .tag = "algorithm",
        .multi_in_rb_num = config->input_type == ALGORITHM_STREAM_INPUT_TYPE2 ? 1 : 0,
    };
    audio_element_handle_t el = NULL;
    if (algo->state && algo->models && buffers_ok) el = audio_element_init(&element_cfg);
    if (!el) {
        free_algo_stream(algo);
        return NULL;
    }
    audio_element_set_output_timeout(el, ALGO_OUTPUT_TIMEOUT_MS);
    return el;
}

void algo_stream_get_stats(audio_element_handle_t el, algo_stream_stats_t *stats) {
    algo_stream_t *algo = audio_element_getdata(el);
    pthread_mutex_lock(&algo->stats_lock);
    *stats = algo->stats;
    pthread_mutex_unlock(&algo->stats_lock);
}

double algo_stream_erle_db(const algo_stream_stats_t *stats) {
    if (stats->single_talk_mic_energy <= 0.0 || stats->single_talk_out_energy <= 0.0) return 0.0;
    return 10.0 * log10(stats->single_talk_mic_energy / stats->single_talk_out_energy);
}
