/* The source element: plays the synthetic scene into the pipeline (see sources.h). */
#include <stdlib.h>

#include "sources.h"

typedef struct {
    signal_synth_t synth;
    algorithm_stream_input_type_t input_type;
    int chunk_samples;
    int16_t mic[SOURCE_MAX_CHUNK_SAMPLES];
    int16_t ref[SOURCE_MAX_CHUNK_SAMPLES];
    int16_t interleaved[2 * SOURCE_MAX_CHUNK_SAMPLES];
} mic_source_t;

static int mic_source_process(audio_element_handle_t self, char *buffer, int len) {
    (void)buffer;
    (void)len;
    mic_source_t *source = audio_element_getdata(self);
    int n = source->chunk_samples;
    signal_synth_next(&source->synth, source->mic, source->ref, NULL, NULL, n);
    int chunk_bytes = n * (int)sizeof(int16_t);
    if (source->input_type == ALGORITHM_STREAM_INPUT_TYPE1) {
        for (int i = 0; i < n; ++i) {
            source->interleaved[2 * i] = source->mic[i];
            source->interleaved[2 * i + 1] = source->ref[i];
        }
        return audio_element_output(self, (const char *)source->interleaved, 2 * chunk_bytes);
    }
    int written = audio_element_multi_output(self, (const char *)source->ref, chunk_bytes, AEL_WAIT_FOREVER);
    if (written < 0) return written;
    return audio_element_output(self, (const char *)source->mic, chunk_bytes);
}

static esp_err_t mic_source_destroy(audio_element_handle_t self) {
    free(audio_element_getdata(self));
    return ESP_OK;
}

audio_element_handle_t mic_source_init(const mic_source_cfg_t *config) {
    if (!config || config->chunk_samples <= 0 || config->chunk_samples > SOURCE_MAX_CHUNK_SAMPLES) return NULL;
    mic_source_t *source = calloc(1, sizeof(*source));
    if (!source) return NULL;
    signal_synth_init(&source->synth, config->seed);
    source->input_type = config->input_type;
    source->chunk_samples = config->chunk_samples;
    audio_element_cfg_t element_cfg = {
        .process = mic_source_process,
        .destroy = mic_source_destroy,
        .out_rb_size = config->out_rb_size,
        .data = source,
        .tag = "mic_source",
        .multi_out_rb_num = config->input_type == ALGORITHM_STREAM_INPUT_TYPE2 ? 1 : 0,
    };
    audio_element_handle_t el = audio_element_init(&element_cfg);
    if (!el) free(source);
    return el;
}
