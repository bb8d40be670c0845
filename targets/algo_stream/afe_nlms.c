/* The AFE implementation: an NLMS adaptive echo canceller with a Geigel double-talk detector, then a
 * noise gate (NS), an energy VAD and a slow AGC, behind esp_afe_sr_iface_t (afe_interface.h).
 *
 * One instance = five heap blocks, all made in afe_nlms_create_from_config from the config:
 *   the instance struct (sizeof(esp_afe_sr_data_t), pinned below),
 *   the filter taps            aec_filter_length floats,
 *   the reference history      (aec_filter_length - 1 + feed_chunk_samples) floats,
 *   the processed-frame queue  fetch_queue_frames * feed_chunk_samples int16,
 *   the fetch output frame     feed_chunk_samples int16.
 * The leak tests state this sum; keep afe_nlms_instance_bytes and the test in step with it. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "afe_interface.h"
#include "afe_nlms.h"
#include "rtos_shim.h"

#define GEIGEL_THRESHOLD 0.5f        /* near-end speech when |mic| > 0.5 * max |ref| over the filter span */
#define DOUBLE_TALK_HANGOVER 480     /* samples (30 ms) the adaptation stays frozen after double talk */
#define FAR_END_ACTIVE_POWER 1e-5f   /* mean reference power (full scale = 1) below which far end is silent */
#define SHORT_SMOOTHING (1.0f / 128.0f)   /* 8 ms power averages */
#define LONG_SMOOTHING (1.0f / 16000.0f)  /* 1 s */
#define CONVERGED_RATIO 10.0f             /* 10 dB of echo reduction in single talk */
#define RESIDUAL_DOUBLE_TALK_RATIO 0.05f  /* residual within 13 dB of the microphone: someone talks */
#define NLMS_REGULARIZATION 1e-6f
#define NOISE_GATE_DBFS (-55.0f)
#define NOISE_GATE_ATTENUATION 0.1f
#define VAD_SPEECH_DBFS (-40.0f)
#define VAD_HANGOVER_FRAMES 3
#define AGC_MAX_GAIN 8.0f
#define AGC_MIN_GAIN 0.5f

typedef struct {
    afe_vad_state_t vad_state;
    float volume_dbfs;
    double single_talk_mic_energy;
    double single_talk_out_energy;
} frame_info_t;

struct esp_afe_sr_data_t {
    int chunk;            /* samples per channel per feed */
    int channels;
    int mic_channel;
    int ref_channel;      /* -1: no reference, no echo cancelling */
    int taps;
    int queue_frames;
    float step_size;
    bool aec_on, ns_on, vad_on, agc_on;
    float agc_target_rms;
    float agc_gain;
    int vad_hangover;
    int double_talk_hold;
    float mic_power_short;   /* smoothed powers for the residual double-talk detector */
    float error_power_short;
    float mic_power_long;    /* in far-end single talk only: how far the filter has converged */
    float error_power_long;

    float *weights;       /* taps */
    float *ref_history;   /* taps - 1 older samples, then the current chunk */
    int16_t *queue;       /* queue_frames frames of chunk samples */
    int16_t *fetch_frame; /* what the last fetch returned */

    pthread_mutex_t lock; /* guards the queue between the feeding and the fetching thread */
    pthread_cond_t frame_ready;
    int queue_head;
    int queue_count;
    unsigned long long frames_dropped;
    frame_info_t info[AFE_MAX_FETCH_QUEUE_FRAMES];
    afe_fetch_result_t result;
};

/* The test computes the instance size from this; a layout change must be a deliberate one. */
_Static_assert(sizeof(struct esp_afe_sr_data_t) == AFE_NLMS_INSTANCE_STRUCT_BYTES,
               "esp_afe_sr_data_t changed size: update AFE_NLMS_INSTANCE_STRUCT_BYTES and the leak test");

size_t afe_nlms_instance_bytes(int taps, int chunk, int queue_frames) {
    return AFE_NLMS_INSTANCE_STRUCT_BYTES + (size_t)taps * sizeof(float) +
           (size_t)(taps - 1 + chunk) * sizeof(float) + (size_t)queue_frames * (size_t)chunk * sizeof(int16_t) +
           (size_t)chunk * sizeof(int16_t);
}

static int channel_of(const char *format, char letter) {
    const char *found = strchr(format, letter);
    return found ? (int)(found - format) : -1;
}

static void free_instance(esp_afe_sr_data_t *afe) {
    free(afe->weights);
    free(afe->ref_history);
    free(afe->queue);
    free(afe->fetch_frame);
    free(afe);
}

__attribute__((noinline)) esp_afe_sr_data_t *afe_nlms_create_from_config(afe_config_t *config) {
    if (!config || config->aec_filter_length < 1 || config->feed_chunk_samples < 1 ||
        config->fetch_queue_frames < 1 || config->fetch_queue_frames > AFE_MAX_FETCH_QUEUE_FRAMES ||
        config->pcm_config.total_ch_num < 1 || channel_of(config->input_format, 'M') < 0)
        return NULL;
    esp_afe_sr_data_t *afe = calloc(1, sizeof(*afe));
    if (!afe) return NULL;
    afe->chunk = config->feed_chunk_samples;
    afe->channels = config->pcm_config.total_ch_num;
    afe->mic_channel = channel_of(config->input_format, 'M');
    afe->ref_channel = channel_of(config->input_format, 'R');
    afe->taps = config->aec_filter_length;
    afe->queue_frames = config->fetch_queue_frames;
    afe->step_size = config->aec_step_size;
    afe->aec_on = config->aec_init && afe->ref_channel >= 0;
    afe->ns_on = config->ns_init;
    afe->vad_on = config->vad_init;
    afe->agc_on = config->agc_init && config->agc_mode != 0;
    afe->agc_target_rms = powf(10.0f, -(float)config->agc_target_level_dbfs / 20.0f) * 0.25f;
    afe->agc_gain = 1.0f;

    afe->weights = calloc((size_t)afe->taps, sizeof(float));
    afe->ref_history = calloc((size_t)(afe->taps - 1 + afe->chunk), sizeof(float));
    afe->queue = calloc((size_t)afe->queue_frames * (size_t)afe->chunk, sizeof(int16_t));
    afe->fetch_frame = calloc((size_t)afe->chunk, sizeof(int16_t));
    if (!afe->weights || !afe->ref_history || !afe->queue || !afe->fetch_frame) {
        free_instance(afe);
        return NULL;
    }
    pthread_mutex_init(&afe->lock, NULL);
    pthread_cond_init(&afe->frame_ready, NULL);
    return afe;
}

/* NLMS over one chunk: out[n] = mic[n] - w . ref[n-taps+1 .. n], adapting w only in far-end single talk.
 * Adds the single-talk energies of mic and output to *info. */
static void cancel_echo(esp_afe_sr_data_t *afe, const float *mic, float *out, frame_info_t *info) {
    float *history = afe->ref_history;
    for (int n = 0; n < afe->chunk; ++n) {
        const float *window = history + n; /* window[taps-1] is the newest reference sample */
        float estimate = 0.0f, power = 0.0f, peak = 0.0f;
        for (int k = 0; k < afe->taps; ++k) {
            float x = window[afe->taps - 1 - k];
            estimate += afe->weights[k] * x;
            power += x * x;
            peak = fabsf(x) > peak ? fabsf(x) : peak;
        }
        float error = mic[n] - estimate;
        out[n] = error;
        afe->mic_power_short += SHORT_SMOOTHING * (mic[n] * mic[n] - afe->mic_power_short);
        afe->error_power_short += SHORT_SMOOTHING * (error * error - afe->error_power_short);
        /* Geigel: near-end speech when the microphone is louder than the echo path could make it. Once the
         * filter has converged, also when the residual rises well above what it leaves in single talk:
         * quieter near-end speech that Geigel misses would otherwise pull the filter away. */
        bool converged = afe->mic_power_long > CONVERGED_RATIO * afe->error_power_long;
        if (fabsf(mic[n]) > GEIGEL_THRESHOLD * peak ||
            (converged && afe->error_power_short > RESIDUAL_DOUBLE_TALK_RATIO * afe->mic_power_short))
            afe->double_talk_hold = DOUBLE_TALK_HANGOVER;
        bool far_end_active = power > FAR_END_ACTIVE_POWER * (float)afe->taps;
        if (afe->double_talk_hold > 0) {
            afe->double_talk_hold--;
            continue;
        }
        if (!far_end_active) continue;
        afe->mic_power_long += LONG_SMOOTHING * (mic[n] * mic[n] - afe->mic_power_long);
        afe->error_power_long += LONG_SMOOTHING * (error * error - afe->error_power_long);
        info->single_talk_mic_energy += (double)mic[n] * mic[n];
        info->single_talk_out_energy += (double)error * error;
        float step = afe->step_size * error / (power + NLMS_REGULARIZATION);
        for (int k = 0; k < afe->taps; ++k) afe->weights[k] += step * window[afe->taps - 1 - k];
    }
    memmove(history, history + afe->chunk, (size_t)(afe->taps - 1) * sizeof(float));
}

static float rms_of(const float *samples, int count) {
    double sum = 0.0;
    for (int i = 0; i < count; ++i) sum += (double)samples[i] * samples[i];
    return (float)sqrt(sum / count);
}

/* Noise gate, VAD and AGC on the canceller output, in place; fills the frame's VAD and volume. */
static void post_process(esp_afe_sr_data_t *afe, float *frame, frame_info_t *info) {
    float level_dbfs = 20.0f * log10f(rms_of(frame, afe->chunk) + 1e-9f);
    if (afe->ns_on && level_dbfs < NOISE_GATE_DBFS)
        for (int i = 0; i < afe->chunk; ++i) frame[i] *= NOISE_GATE_ATTENUATION;
    bool speech = level_dbfs > VAD_SPEECH_DBFS;
    afe->vad_hangover = speech ? VAD_HANGOVER_FRAMES : (afe->vad_hangover > 0 ? afe->vad_hangover - 1 : 0);
    info->vad_state = (!afe->vad_on || afe->vad_hangover > 0) ? AFE_VAD_SPEECH : AFE_VAD_SILENCE;
    if (afe->agc_on && speech) {
        float wanted = afe->agc_target_rms / (rms_of(frame, afe->chunk) + 1e-9f);
        wanted = wanted > AGC_MAX_GAIN ? AGC_MAX_GAIN : (wanted < AGC_MIN_GAIN ? AGC_MIN_GAIN : wanted);
        afe->agc_gain = 0.9f * afe->agc_gain + 0.1f * wanted;
    }
    if (afe->agc_on)
        for (int i = 0; i < afe->chunk; ++i) frame[i] *= afe->agc_gain;
    info->volume_dbfs = 20.0f * log10f(rms_of(frame, afe->chunk) + 1e-9f);
}

static int16_t to_pcm16(float sample) {
    float scaled = sample * 32768.0f;
    if (scaled > 32767.0f) return 32767;
    if (scaled < -32768.0f) return -32768;
    return (int16_t)lrintf(scaled);
}

static int afe_nlms_feed(esp_afe_sr_data_t *afe, const int16_t *in) {
    if (!afe || !in) return -1;
    float mic[AFE_HIGH_PERF_FILTER_TAPS], out[AFE_HIGH_PERF_FILTER_TAPS];
    if (afe->chunk > AFE_HIGH_PERF_FILTER_TAPS) return -1;
    float *reference_tail = afe->ref_history + afe->taps - 1;
    for (int n = 0; n < afe->chunk; ++n) {
        mic[n] = in[n * afe->channels + afe->mic_channel] / 32768.0f;
        reference_tail[n] = afe->ref_channel >= 0 ? in[n * afe->channels + afe->ref_channel] / 32768.0f : 0.0f;
    }
    frame_info_t info = {0};
    if (afe->aec_on) {
        cancel_echo(afe, mic, out, &info);
    } else {
        memcpy(out, mic, (size_t)afe->chunk * sizeof(float));
        memmove(afe->ref_history, afe->ref_history + afe->chunk, (size_t)(afe->taps - 1) * sizeof(float));
    }
    post_process(afe, out, &info);

    pthread_mutex_lock(&afe->lock);
    if (afe->queue_count == afe->queue_frames) { /* the fetcher is behind: drop its oldest frame */
        afe->queue_head = (afe->queue_head + 1) % afe->queue_frames;
        afe->queue_count--;
        afe->frames_dropped++;
    }
    int slot = (afe->queue_head + afe->queue_count) % afe->queue_frames;
    int16_t *frame = afe->queue + (size_t)slot * (size_t)afe->chunk;
    for (int n = 0; n < afe->chunk; ++n) frame[n] = to_pcm16(out[n]);
    afe->info[slot] = info;
    afe->queue_count++;
    pthread_cond_signal(&afe->frame_ready);
    pthread_mutex_unlock(&afe->lock);
    return afe->chunk;
}

static afe_fetch_result_t *afe_nlms_fetch(esp_afe_sr_data_t *afe) {
    pthread_mutex_lock(&afe->lock);
    while (afe->queue_count == 0) pthread_cond_wait(&afe->frame_ready, &afe->lock);
    int slot = afe->queue_head;
    memcpy(afe->fetch_frame, afe->queue + (size_t)slot * (size_t)afe->chunk, (size_t)afe->chunk * sizeof(int16_t));
    frame_info_t info = afe->info[slot];
    afe->queue_head = (afe->queue_head + 1) % afe->queue_frames;
    afe->queue_count--;
    pthread_mutex_unlock(&afe->lock);
    afe->result = (afe_fetch_result_t){
        .data = afe->fetch_frame,
        .data_size = afe->chunk * (int)sizeof(int16_t),
        .vad_state = info.vad_state,
        .data_volume = info.volume_dbfs,
        .ret_value = 0,
        .single_talk_mic_energy = info.single_talk_mic_energy,
        .single_talk_out_energy = info.single_talk_out_energy,
    };
    return &afe->result;
}

static int afe_nlms_get_feed_chunksize(esp_afe_sr_data_t *afe) { return afe->chunk; }

static int afe_nlms_get_feed_channel_num(esp_afe_sr_data_t *afe) { return afe->channels; }

static int afe_nlms_get_samp_rate(esp_afe_sr_data_t *afe) {
    (void)afe;
    return AFE_SAMPLE_RATE;
}

__attribute__((noinline)) static void afe_nlms_destroy(esp_afe_sr_data_t *afe) {
    if (!afe) return;
    pthread_cond_destroy(&afe->frame_ready);
    pthread_mutex_destroy(&afe->lock);
    free_instance(afe);
}

unsigned long long afe_nlms_frames_dropped(esp_afe_sr_data_t *afe) {
    pthread_mutex_lock(&afe->lock);
    unsigned long long dropped = afe->frames_dropped;
    pthread_mutex_unlock(&afe->lock);
    return dropped;
}

const esp_afe_sr_iface_t ESP_AFE_NLMS_HANDLE = {
    .create_from_config = afe_nlms_create_from_config,
    .feed = afe_nlms_feed,
    .fetch = afe_nlms_fetch,
    .get_feed_chunksize = afe_nlms_get_feed_chunksize,
    .get_feed_channel_num = afe_nlms_get_feed_channel_num,
    .get_samp_rate = afe_nlms_get_samp_rate,
    .destroy = afe_nlms_destroy,
};
