/* Building the AFE config and choosing the implementation (see afe_interface.h). */
#include <stdlib.h>
#include <string.h>

#include "afe_interface.h"

srmodel_list_t *esp_srmodel_init(const char *partition_label) {
    (void)partition_label; /* models come from a flash partition on the device; there are none here */
    return calloc(1, sizeof(srmodel_list_t));
}

void esp_srmodel_deinit(srmodel_list_t *models) {
    if (!models) return;
    for (int i = 0; i < models->num; ++i) free(models->model_name[i]);
    free(models->model_name);
    free(models);
}

afe_config_t *afe_config_init(const char *input_format, srmodel_list_t *models, afe_type_t type, afe_mode_t mode) {
    (void)models; /* the NLMS front end uses no speech model */
    if (!input_format) return NULL;
    size_t channels = strlen(input_format);
    if (channels == 0 || channels >= AFE_INPUT_FORMAT_MAX) return NULL;
    int mics = 0, refs = 0;
    for (size_t i = 0; i < channels; ++i) {
        switch (input_format[i]) {
            case 'M': mics++; break;
            case 'R': refs++; break;
            case 'N': break;
            default: return NULL;
        }
    }
    if (mics != 1 || refs > 1) return NULL;

    afe_config_t *config = calloc(1, sizeof(*config));
    if (!config) return NULL;
    memcpy(config->input_format, input_format, channels + 1);
    config->pcm_config = (afe_pcm_config_t){
        .total_ch_num = (int)channels, .mic_num = mics, .ref_num = refs, .sample_rate = AFE_SAMPLE_RATE};
    config->aec_init = refs > 0;
    config->ns_init = type == AFE_TYPE_VC;
    config->vad_init = true;
    config->agc_init = type == AFE_TYPE_VC;
    config->agc_mode = 1;
    config->agc_target_level_dbfs = 3;
    config->aec_filter_length = mode == AFE_MODE_HIGH_PERF ? AFE_HIGH_PERF_FILTER_TAPS : AFE_LOW_COST_FILTER_TAPS;
    config->feed_chunk_samples = AFE_FEED_CHUNK_SAMPLES;
    config->fetch_queue_frames = AFE_FETCH_QUEUE_FRAMES;
    config->aec_step_size = 0.25f;
    config->afe_type = type;
    config->afe_mode = mode;
    return config;
}

void afe_config_free(afe_config_t *afe_config) { free(afe_config); }

const esp_afe_sr_iface_t *esp_afe_handle_from_config(const afe_config_t *afe_config) {
    return afe_config ? &ESP_AFE_NLMS_HANDLE : NULL;
}
