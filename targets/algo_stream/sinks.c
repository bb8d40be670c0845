/* Null and raw-file sinks (see sinks.h). */
#include "sinks.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "rtos_shim.h"

#define SINK_INPUT_TIMEOUT_MS 100
#define SINK_MAX_READ_BYTES 4096

typedef struct {
    FILE *file;                /* NULL for the null sink */
    int read_bytes;
    pthread_mutex_t lock;
    pthread_cond_t progressed; /* signalled on every chunk received */
    uint64_t received;
    char chunk[SINK_MAX_READ_BYTES];
} audio_sink_t;

static int audio_sink_process(audio_element_handle_t self, char *buffer, int len) {
    (void)buffer;
    (void)len;
    audio_sink_t *sink = audio_element_getdata(self);
    int read = audio_element_input(self, sink->chunk, sink->read_bytes);
    if (read <= 0) return read;
    if (sink->file && fwrite(sink->chunk, 1, (size_t)read, sink->file) != (size_t)read) return AEL_IO_FAIL;
    pthread_mutex_lock(&sink->lock);
    sink->received += (uint64_t)read;
    pthread_cond_broadcast(&sink->progressed);
    pthread_mutex_unlock(&sink->lock);
    return read;
}

static esp_err_t audio_sink_destroy(audio_element_handle_t self) {
    audio_sink_t *sink = audio_element_getdata(self);
    esp_err_t result = ESP_OK;
    if (sink->file && fclose(sink->file) != 0) result = ESP_FAIL;
    pthread_cond_destroy(&sink->progressed);
    pthread_mutex_destroy(&sink->lock);
    free(sink);
    return result;
}

audio_element_handle_t audio_sink_init(const audio_sink_cfg_t *config) {
    if (!config || config->read_bytes <= 0 || config->read_bytes > SINK_MAX_READ_BYTES) return NULL;
    audio_sink_t *sink = calloc(1, sizeof(*sink));
    if (!sink) return NULL;
    sink->read_bytes = config->read_bytes;
    if (config->path && !(sink->file = fopen(config->path, "wb"))) {
        int saved = errno;
        free(sink);
        errno = saved;
        return NULL;
    }
    pthread_mutex_init(&sink->lock, NULL);
    os_cond_init_monotonic(&sink->progressed);
    audio_element_cfg_t element_cfg = {
        .process = audio_sink_process,
        .destroy = audio_sink_destroy,
        .data = sink,
        .tag = config->path ? "raw_sink" : "null_sink",
    };
    audio_element_handle_t el = audio_element_init(&element_cfg);
    if (!el) {
        if (sink->file) fclose(sink->file);
        free(sink);
        return NULL;
    }
    audio_element_set_input_timeout(el, SINK_INPUT_TIMEOUT_MS);
    return el;
}

uint64_t audio_sink_bytes_received(audio_element_handle_t el) {
    audio_sink_t *sink = audio_element_getdata(el);
    pthread_mutex_lock(&sink->lock);
    uint64_t received = sink->received;
    pthread_mutex_unlock(&sink->lock);
    return received;
}

esp_err_t audio_sink_wait_for_bytes(audio_element_handle_t el, uint64_t bytes, int timeout_ms) {
    audio_sink_t *sink = audio_element_getdata(el);
    struct timespec deadline = os_deadline_after_ms(timeout_ms);
    esp_err_t result = ESP_OK;
    pthread_mutex_lock(&sink->lock);
    while (sink->received < bytes) {
        if (os_cond_wait_until(&sink->progressed, &sink->lock, &deadline) == ETIMEDOUT) {
            result = sink->received >= bytes ? ESP_OK : ESP_FAIL;
            break;
        }
    }
    pthread_mutex_unlock(&sink->lock);
    return result;
}
