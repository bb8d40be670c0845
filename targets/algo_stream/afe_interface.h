/* The audio front end interface (ESP-SR esp_afe_sr_iface.h / esp_afe_config.h), as algorithm_stream
 * uses it: a table of functions behind which an implementation lives. The config is built by
 * afe_config_init and freed by afe_config_free once the instance is created; the instance (afe_data)
 * lives until destroy. This port has one implementation, an NLMS echo canceller with a noise gate, an
 * energy VAD and a simple AGC (afe_nlms.c). */
#ifndef ALGO_STREAM_AFE_INTERFACE_H
#define ALGO_STREAM_AFE_INTERFACE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { AFE_TYPE_SR = 0, AFE_TYPE_VC = 1 } afe_type_t;
/* LOW_COST: 256-tap echo filter (16 ms at 16 kHz); HIGH_PERF: 512 taps. */
typedef enum { AFE_MODE_LOW_COST = 0, AFE_MODE_HIGH_PERF = 1 } afe_mode_t;
typedef enum { AFE_VAD_SILENCE = 0, AFE_VAD_SPEECH = 1 } afe_vad_state_t;

#define AFE_SAMPLE_RATE 16000
#define AFE_FEED_CHUNK_SAMPLES 256      /* per channel, per feed call: 16 ms */
#define AFE_LOW_COST_FILTER_TAPS 256
#define AFE_HIGH_PERF_FILTER_TAPS 512
#define AFE_FETCH_QUEUE_FRAMES 4        /* processed frames held for fetch before the oldest is dropped */
#define AFE_MAX_FETCH_QUEUE_FRAMES 8
#define AFE_INPUT_FORMAT_MAX 8

/* The speech model list (esp_srmodel_init). The NLMS front end needs no model; the list exists because
 * the element owns one for the AFE's lifetime, as in the original. */
typedef struct {
    char **model_name;
    int num;
} srmodel_list_t;

srmodel_list_t *esp_srmodel_init(const char *partition_label);
void esp_srmodel_deinit(srmodel_list_t *models);

typedef struct {
    int total_ch_num;
    int mic_num;
    int ref_num;
    int sample_rate;
} afe_pcm_config_t;

typedef struct {
    bool aec_init;
    bool ns_init;
    bool vad_init;
    bool agc_init;
    int agc_mode;                  /* 0: off-line fixed gain, 1..: adaptive (any non-zero value) */
    int agc_target_level_dbfs;     /* target output level, -dBFS (3 means -3 dBFS) */
    afe_pcm_config_t pcm_config;
    char input_format[AFE_INPUT_FORMAT_MAX]; /* one letter per interleaved channel: M mic, R reference, N unused */
    int aec_filter_length;         /* taps */
    int feed_chunk_samples;
    int fetch_queue_frames;
    float aec_step_size;           /* NLMS mu, 0 < mu < 2 */
    afe_type_t afe_type;
    afe_mode_t afe_mode;
} afe_config_t;

typedef struct {
    int16_t *data;                 /* processed mono samples, valid until the next fetch */
    int data_size;                 /* bytes */
    afe_vad_state_t vad_state;
    float data_volume;             /* dBFS of the frame */
    int ret_value;                 /* 0, or -1 */
    /* Port addition for measuring the canceller: energies of the microphone signal and of the canceller
     * output over the samples of this frame that were far-end single talk (no near-end speech detected,
     * reference active). ERLE = 10 log10(sum mic / sum out). Both 0 when no sample qualified. */
    double single_talk_mic_energy;
    double single_talk_out_energy;
} afe_fetch_result_t;

typedef struct esp_afe_sr_data_t esp_afe_sr_data_t;

typedef struct {
    esp_afe_sr_data_t *(*create_from_config)(afe_config_t *afe_config);
    /* Processes one interleaved chunk (get_feed_chunksize samples x get_feed_channel_num channels);
     * returns the samples per channel fed, or -1. Never blocks: a full output queue drops its oldest frame. */
    int (*feed)(esp_afe_sr_data_t *afe, const int16_t *in);
    /* Blocks until a processed frame is ready. */
    afe_fetch_result_t *(*fetch)(esp_afe_sr_data_t *afe);
    int (*get_feed_chunksize)(esp_afe_sr_data_t *afe);
    int (*get_feed_channel_num)(esp_afe_sr_data_t *afe);
    int (*get_samp_rate)(esp_afe_sr_data_t *afe);
    void (*destroy)(esp_afe_sr_data_t *afe);
} esp_afe_sr_iface_t;

/* A config for `input_format` ("MR": mic then reference), defaults by type and mode; NULL when the
 * format is not one mic and at most one reference, or out of memory. Free with afe_config_free. */
afe_config_t *afe_config_init(const char *input_format, srmodel_list_t *models, afe_type_t type, afe_mode_t mode);
void afe_config_free(afe_config_t *afe_config);
/* The interface that implements this config. */
const esp_afe_sr_iface_t *esp_afe_handle_from_config(const afe_config_t *afe_config);

/* The NLMS implementation's table (afe_nlms.c). */
extern const esp_afe_sr_iface_t ESP_AFE_NLMS_HANDLE;

#ifdef __cplusplus
}
#endif

#endif
