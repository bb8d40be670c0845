/* The pipeline's last element: takes the processed stream and either drops it (null sink) or appends it
 * to a raw 16-bit mono file. It counts what it received, so the driver can let a fixed amount of audio
 * flow in each cycle. */
#ifndef ALGO_STREAM_SINKS_H
#define ALGO_STREAM_SINKS_H

#include <stdint.h>

#include "audio_element.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *path;   /* NULL: null sink; else the raw file, created or truncated at init */
    int read_bytes;     /* bytes taken from the input per process call */
} audio_sink_cfg_t;

/* NULL when the file cannot be created (errno tells why) or the config is invalid. */
audio_element_handle_t audio_sink_init(const audio_sink_cfg_t *config);
/* Bytes received since init. */
uint64_t audio_sink_bytes_received(audio_element_handle_t el);
/* Waits until at least `bytes` have been received since init; ESP_OK, or ESP_FAIL after timeout_ms. */
esp_err_t audio_sink_wait_for_bytes(audio_element_handle_t el, uint64_t bytes, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
