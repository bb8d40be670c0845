/* A chain of audio elements joined by ring buffers (ESP-ADF audio_pipeline.h).
 *
 * register names the elements, link puts a ring buffer between each consecutive pair, run starts their
 * tasks and resumes them. pause pauses every element (which closes it), then empties every ring buffer
 * of the chain so that the resumed elements start on clean, aligned input; resume opens and restarts
 * them. stop closes every element; once wait_for_stop has seen them all stopped the pipeline is back in
 * its initial state (as upstream's wait-stop changes it to AEL_STATE_INIT), so reset_ringbuffer then run
 * starts it again, opening every element anew. terminate/deinit take it down. */
#ifndef ALGO_STREAM_AUDIO_PIPELINE_H
#define ALGO_STREAM_AUDIO_PIPELINE_H

#include "audio_element.h"
#include "audio_event_iface.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int rb_size;  /* ring buffer size for an element whose out_rb_size is 0 */
} audio_pipeline_cfg_t;

#define DEFAULT_PIPELINE_RINGBUF_SIZE (8 * 1024)
#define DEFAULT_AUDIO_PIPELINE_CONFIG() { .rb_size = DEFAULT_PIPELINE_RINGBUF_SIZE }

#define AUDIO_PIPELINE_MAX_ELEMENTS 8

typedef struct audio_pipeline *audio_pipeline_handle_t;

audio_pipeline_handle_t audio_pipeline_init(const audio_pipeline_cfg_t *config);
esp_err_t audio_pipeline_register(audio_pipeline_handle_t pipeline, audio_element_handle_t el, const char *name);
esp_err_t audio_pipeline_unregister(audio_pipeline_handle_t pipeline, audio_element_handle_t el);
/* Links the registered elements named in link_tag, in that order, creating n-1 ring buffers. */
esp_err_t audio_pipeline_link(audio_pipeline_handle_t pipeline, const char *link_tag[], int link_num);
/* Sends every linked element's status reports to listener. */
esp_err_t audio_pipeline_set_listener(audio_pipeline_handle_t pipeline, audio_event_iface_handle_t listener);
esp_err_t audio_pipeline_run(audio_pipeline_handle_t pipeline);
esp_err_t audio_pipeline_pause(audio_pipeline_handle_t pipeline);
esp_err_t audio_pipeline_resume(audio_pipeline_handle_t pipeline);
esp_err_t audio_pipeline_stop(audio_pipeline_handle_t pipeline);
/* Waits for every linked element to report stopped; then run may start the pipeline again. */
esp_err_t audio_pipeline_wait_for_stop(audio_pipeline_handle_t pipeline);
esp_err_t audio_pipeline_terminate(audio_pipeline_handle_t pipeline);
/* Empties every ring buffer the pipeline created and clears their done/abort marks. */
esp_err_t audio_pipeline_reset_ringbuffer(audio_pipeline_handle_t pipeline);
/* Terminates, destroys the linked ring buffers, and deinits every element still registered. */
esp_err_t audio_pipeline_deinit(audio_pipeline_handle_t pipeline);

#ifdef __cplusplus
}
#endif

#endif
