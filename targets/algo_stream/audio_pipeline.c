/* Pipeline of elements and the ring buffers between them (see audio_pipeline.h). */
#include "audio_pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIPELINE_NAME_MAX 32
#define PIPELINE_RESUME_TIMEOUT_MS 5000
#define PIPELINE_STOP_TIMEOUT_MS 5000

typedef struct {
    audio_element_handle_t el;
    char name[PIPELINE_NAME_MAX];
} registered_element_t;

struct audio_pipeline {
    int rb_size;
    registered_element_t registered[AUDIO_PIPELINE_MAX_ELEMENTS];
    int registered_num;
    audio_element_handle_t linked[AUDIO_PIPELINE_MAX_ELEMENTS]; /* in data-flow order */
    int linked_num;
    ringbuf_handle_t rbs[AUDIO_PIPELINE_MAX_ELEMENTS];          /* rbs[i] joins linked[i] to linked[i+1] */
    bool running;
};

audio_pipeline_handle_t audio_pipeline_init(const audio_pipeline_cfg_t *config) {
    if (!config || config->rb_size <= 0) return NULL;
    struct audio_pipeline *pipeline = calloc(1, sizeof(*pipeline));
    if (pipeline) pipeline->rb_size = config->rb_size;
    return pipeline;
}

esp_err_t audio_pipeline_register(audio_pipeline_handle_t pipeline, audio_element_handle_t el, const char *name) {
    if (!el || !name || pipeline->registered_num == AUDIO_PIPELINE_MAX_ELEMENTS) return ESP_FAIL;
    registered_element_t *slot = &pipeline->registered[pipeline->registered_num++];
    slot->el = el;
    snprintf(slot->name, sizeof(slot->name), "%s", name);
    return ESP_OK;
}

esp_err_t audio_pipeline_unregister(audio_pipeline_handle_t pipeline, audio_element_handle_t el) {
    for (int i = 0; i < pipeline->registered_num; ++i) {
        if (pipeline->registered[i].el != el) continue;
        memmove(&pipeline->registered[i], &pipeline->registered[i + 1],
                (size_t)(pipeline->registered_num - i - 1) * sizeof(registered_element_t));
        pipeline->registered_num--;
        return ESP_OK;
    }
    return ESP_FAIL;
}

static audio_element_handle_t find_registered(audio_pipeline_handle_t pipeline, const char *name) {
    for (int i = 0; i < pipeline->registered_num; ++i)
        if (strcmp(pipeline->registered[i].name, name) == 0) return pipeline->registered[i].el;
    return NULL;
}

esp_err_t audio_pipeline_link(audio_pipeline_handle_t pipeline, const char *link_tag[], int link_num) {
    if (pipeline->linked_num != 0 || link_num < 1 || link_num > AUDIO_PIPELINE_MAX_ELEMENTS) return ESP_FAIL;
    for (int i = 0; i < link_num; ++i) {
        pipeline->linked[i] = find_registered(pipeline, link_tag[i]);
        if (!pipeline->linked[i]) return ESP_FAIL;
    }
    for (int i = 0; i + 1 < link_num; ++i) {
        ringbuf_handle_t rb = rb_create(pipeline->rb_size, 1);
        if (!rb) return ESP_FAIL;
        pipeline->rbs[i] = rb;
        audio_element_set_output_ringbuf(pipeline->linked[i], rb);
        audio_element_set_input_ringbuf(pipeline->linked[i + 1], rb);
    }
    pipeline->linked_num = link_num;
    return ESP_OK;
}

esp_err_t audio_pipeline_set_listener(audio_pipeline_handle_t pipeline, audio_event_iface_handle_t listener) {
    for (int i = 0; i < pipeline->linked_num; ++i) audio_element_msg_set_listener(pipeline->linked[i], listener);
    return ESP_OK;
}

esp_err_t audio_pipeline_resume(audio_pipeline_handle_t pipeline) {
    esp_err_t result = ESP_OK;
    for (int i = 0; i < pipeline->linked_num; ++i)
        if (audio_element_resume(pipeline->linked[i], PIPELINE_RESUME_TIMEOUT_MS) != ESP_OK) result = ESP_FAIL;
    return result;
}

esp_err_t audio_pipeline_run(audio_pipeline_handle_t pipeline) {
    if (pipeline->running || pipeline->linked_num == 0) return ESP_FAIL;
    for (int i = 0; i < pipeline->linked_num; ++i)
        if (audio_element_run(pipeline->linked[i]) != ESP_OK) return ESP_FAIL;
    pipeline->running = true;
    return audio_pipeline_resume(pipeline);
}

esp_err_t audio_pipeline_reset_ringbuffer(audio_pipeline_handle_t pipeline) {
    for (int i = 0; i < pipeline->linked_num; ++i) audio_element_reset_inputs(pipeline->linked[i]);
    return ESP_OK;
}

esp_err_t audio_pipeline_pause(audio_pipeline_handle_t pipeline) {
    esp_err_t result = ESP_OK;
    /* Upstream first: an element pauses while the one after it still drains its output. */
    for (int i = 0; i < pipeline->linked_num; ++i)
        if (audio_element_pause(pipeline->linked[i]) != ESP_OK) result = ESP_FAIL;
    audio_pipeline_reset_ringbuffer(pipeline);
    return result;
}

esp_err_t audio_pipeline_stop(audio_pipeline_handle_t pipeline) {
    esp_err_t result = ESP_OK;
    for (int i = 0; i < pipeline->linked_num; ++i)
        if (audio_element_stop(pipeline->linked[i]) != ESP_OK) result = ESP_FAIL;
    return result;
}

esp_err_t audio_pipeline_wait_for_stop(audio_pipeline_handle_t pipeline) {
    esp_err_t result = ESP_OK;
    for (int i = 0; i < pipeline->linked_num; ++i)
        if (audio_element_wait_for_stop(pipeline->linked[i], PIPELINE_STOP_TIMEOUT_MS) != ESP_OK) result = ESP_FAIL;
    /* Every element stopped (and closed): the pipeline may be run again, as upstream's back to INIT. */
    if (result == ESP_OK) pipeline->running = false;
    return result;
}

esp_err_t audio_pipeline_terminate(audio_pipeline_handle_t pipeline) {
    for (int i = 0; i < pipeline->linked_num; ++i) audio_element_terminate(pipeline->linked[i]);
    pipeline->running = false;
    return ESP_OK;
}

esp_err_t audio_pipeline_deinit(audio_pipeline_handle_t pipeline) {
    if (!pipeline) return ESP_FAIL;
    audio_pipeline_terminate(pipeline);
    for (int i = 0; i + 1 < pipeline->linked_num; ++i) {
        audio_element_set_output_ringbuf(pipeline->linked[i], NULL);
        audio_element_set_input_ringbuf(pipeline->linked[i + 1], NULL);
        rb_destroy(pipeline->rbs[i]);
    }
    for (int i = 0; i < pipeline->registered_num; ++i) audio_element_deinit(pipeline->registered[i].el);
    free(pipeline);
    return ESP_OK;
}
