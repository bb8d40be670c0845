/* The unit of a pipeline (ESP-ADF audio_element.h), on pthreads.
 *
 * An element is made from callbacks (open, process, close, destroy; optional read/write instead of ring
 * buffers) and runs its own task thread. The task takes commands from a queue (resume, pause, stop,
 * destroy) and, while running, calls `process` over and over. As the ported pipeline needs it, pause
 * runs the element's close callback and resume runs its open callback again: that is the lifecycle that
 * makes the algorithm stream's bug fire on every cycle. State changes are reported to a listener
 * (audio_event_iface) as AEL_MSG_CMD_REPORT_STATUS messages. */
#ifndef ALGO_STREAM_AUDIO_ELEMENT_H
#define ALGO_STREAM_AUDIO_ELEMENT_H

#include <stdbool.h>

#include "audio_event_iface.h"
#include "ringbuf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL (-1)

typedef enum {
    AEL_IO_OK = ESP_OK,
    AEL_IO_FAIL = ESP_FAIL,
    AEL_IO_DONE = -2,
    AEL_IO_ABORT = -3,
    AEL_IO_TIMEOUT = -4,
    AEL_PROCESS_FAIL = -5,
} audio_element_err_t;

typedef enum {
    AEL_STATE_NONE = 0,
    AEL_STATE_INIT,
    AEL_STATE_INITIALIZING,
    AEL_STATE_RUNNING,
    AEL_STATE_PAUSED,
    AEL_STATE_STOPPED,
    AEL_STATE_FINISHED,
    AEL_STATE_ERROR,
} audio_element_state_t;

typedef enum {
    AEL_MSG_CMD_NONE = 0,
    AEL_MSG_CMD_FINISH,
    AEL_MSG_CMD_STOP,
    AEL_MSG_CMD_PAUSE,
    AEL_MSG_CMD_RESUME,
    AEL_MSG_CMD_DESTROY,
    AEL_MSG_CMD_REPORT_STATUS,
} audio_element_msg_cmd_t;

typedef enum {
    AEL_STATUS_NONE = 0,
    AEL_STATUS_ERROR_OPEN,
    AEL_STATUS_ERROR_PROCESS,
    AEL_STATUS_ERROR_CLOSE,
    AEL_STATUS_INPUT_DONE,
    AEL_STATUS_STATE_RUNNING,
    AEL_STATUS_STATE_PAUSED,
    AEL_STATUS_STATE_STOPPED,
    AEL_STATUS_STATE_FINISHED,
} audio_element_status_t;

#define AEL_WAIT_FOREVER (-1)

typedef struct audio_element *audio_element_handle_t;

typedef esp_err_t (*el_io_func)(audio_element_handle_t self);
/* Returns bytes produced (> 0), or an audio_element_err_t. */
typedef int (*process_func)(audio_element_handle_t self, char *el_buffer, int el_buf_len);
/* Read or write callback used instead of the input or output ring buffer. */
typedef int (*stream_func)(audio_element_handle_t self, char *buffer, int len, int timeout_ms, void *context);

typedef struct {
    el_io_func open;
    process_func process;
    el_io_func close;
    el_io_func destroy;
    stream_func read;       /* optional: replaces the input ring buffer */
    stream_func write;      /* optional: replaces the output ring buffer */
    int buffer_len;         /* bytes of the buffer handed to process (0: none) */
    int task_stack;         /* bytes; raised to a safe minimum for glibc threads */
    int task_prio;          /* kept for fidelity; Linux threads run at normal priority */
    int task_core;          /* kept for fidelity; threads are not pinned */
    int out_rb_size;        /* size of the ring buffer audio_pipeline_link puts after this element */
    void *data;             /* the element's private data (audio_element_getdata) */
    const char *tag;
    int multi_in_rb_num;    /* extra inputs, e.g. the AEC reference */
    int multi_out_rb_num;
} audio_element_cfg_t;

#define DEFAULT_ELEMENT_RINGBUF_SIZE (8 * 1024)
#define DEFAULT_ELEMENT_STACK_SIZE (128 * 1024)

/* Lifecycle. */
audio_element_handle_t audio_element_init(const audio_element_cfg_t *config);
/* Terminates the task if it runs, calls the destroy callback, frees the element. */
esp_err_t audio_element_deinit(audio_element_handle_t el);
/* Starts the element's task (idle until resumed). */
esp_err_t audio_element_run(audio_element_handle_t el);
/* Ends the task (closing the element if open) and joins it. */
esp_err_t audio_element_terminate(audio_element_handle_t el);
/* Opens the element if closed and starts processing; waits up to timeout_ms for it to run. */
esp_err_t audio_element_resume(audio_element_handle_t el, int timeout_ms);
/* Stops processing and closes the element; waits until it is paused. Aborts the element's input ring
 * buffers so that a blocked read returns: the caller resets them before resuming (the pipeline does). */
esp_err_t audio_element_pause(audio_element_handle_t el);
/* Like pause, but leaves the element stopped; also aborts its outputs so a blocked writer returns. */
esp_err_t audio_element_stop(audio_element_handle_t el);
esp_err_t audio_element_wait_for_stop(audio_element_handle_t el, int timeout_ms);
audio_element_state_t audio_element_get_state(audio_element_handle_t el);
const char *audio_element_get_tag(audio_element_handle_t el);

/* Private data. */
esp_err_t audio_element_setdata(audio_element_handle_t el, void *data);
void *audio_element_getdata(audio_element_handle_t el);

/* Ring buffers and I/O (audio_element_io.c). */
esp_err_t audio_element_set_input_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb);
ringbuf_handle_t audio_element_get_input_ringbuf(audio_element_handle_t el);
esp_err_t audio_element_set_output_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb);
ringbuf_handle_t audio_element_get_output_ringbuf(audio_element_handle_t el);
esp_err_t audio_element_set_multi_input_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb, int index);
ringbuf_handle_t audio_element_get_multi_input_ringbuf(audio_element_handle_t el, int index);
esp_err_t audio_element_set_multi_output_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb, int index);
void audio_element_set_input_timeout(audio_element_handle_t el, int timeout_ms);
void audio_element_set_output_timeout(audio_element_handle_t el, int timeout_ms);
/* Reads exactly len bytes of main input; returns len or an audio_element_err_t. */
int audio_element_input(audio_element_handle_t el, char *buffer, int len);
/* Writes len bytes of main output; returns len or an audio_element_err_t. */
int audio_element_output(audio_element_handle_t el, const char *buffer, int len);
/* Reads extra input `index`, waiting up to timeout_ms. */
int audio_element_multi_input(audio_element_handle_t el, char *buffer, int len, int index, int timeout_ms);
/* Writes len bytes to every extra output. */
int audio_element_multi_output(audio_element_handle_t el, const char *buffer, int len, int timeout_ms);
/* Aborts (wakes) the element's inputs, or its outputs. */
void audio_element_abort_inputs(audio_element_handle_t el);
void audio_element_abort_outputs(audio_element_handle_t el);
/* Empties every input ring buffer (main and extra) of the element and clears their marks. */
void audio_element_reset_inputs(audio_element_handle_t el);

/* Events. */
esp_err_t audio_element_msg_set_listener(audio_element_handle_t el, audio_event_iface_handle_t listener);
void audio_element_report_status(audio_element_handle_t el, audio_element_status_t status);

#ifdef __cplusplus
}
#endif

#endif
