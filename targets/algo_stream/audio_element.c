/* Element lifecycle and its task: commands in, process calls while running, status reports out
 * (see audio_element.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_element_internal.h"

#define AEL_CMD_QUEUE_LEN 8
#define AEL_MIN_STACK_BYTES (128 * 1024)
/* How long the task waits for the command that follows an aborted read or write: pause and stop send
 * their command before they abort, so it is already queued; the limit only bounds a stray abort. */
#define AEL_ABORT_COMMAND_WAIT_MS 100
#define AEL_DEFAULT_COMMAND_TIMEOUT_MS 5000

audio_element_handle_t audio_element_init(const audio_element_cfg_t *config) {
    if (!config || !config->process || config->multi_in_rb_num < 0 || config->multi_out_rb_num < 0) return NULL;
    struct audio_element *el = calloc(1, sizeof(*el));
    if (!el) return NULL;
    el->open = config->open;
    el->process = config->process;
    el->close = config->close;
    el->destroy = config->destroy;
    el->read = config->read;
    el->write = config->write;
    el->data = config->data;
    snprintf(el->tag, sizeof(el->tag), "%s", config->tag ? config->tag : "unknown");
    el->buf_size = config->buffer_len > 0 ? config->buffer_len : 0;
    el->task_stack = config->task_stack > AEL_MIN_STACK_BYTES ? config->task_stack : AEL_MIN_STACK_BYTES;
    el->multi_in_num = config->multi_in_rb_num;
    el->multi_out_num = config->multi_out_rb_num;
    el->input_wait_ms = AEL_WAIT_FOREVER;
    el->output_wait_ms = AEL_WAIT_FOREVER;
    el->multi_in_rb = calloc((size_t)el->multi_in_num + 1, sizeof(ringbuf_handle_t));
    el->multi_out_rb = calloc((size_t)el->multi_out_num + 1, sizeof(ringbuf_handle_t));
    el->cmd_queue = os_queue_create(AEL_CMD_QUEUE_LEN, sizeof(audio_element_msg_cmd_t));
    el->state_bits = os_event_group_create();
    if (!el->multi_in_rb || !el->multi_out_rb || !el->cmd_queue || !el->state_bits) {
        el->destroy = NULL; /* the caller still owns its data when init fails */
        audio_element_deinit(el);
        return NULL;
    }
    atomic_store(&el->state, AEL_STATE_INIT);
    return el;
}

void audio_element_report_status(audio_element_handle_t el, audio_element_status_t status) {
    if (!el->listener) return;
    audio_event_iface_msg_t msg = {
        .cmd = AEL_MSG_CMD_REPORT_STATUS,
        .data = (void *)(intptr_t)status,
        .data_len = sizeof(status),
        .source = el,
        .source_type = AUDIO_ELEMENT_TYPE_ELEMENT,
    };
    audio_event_iface_sendout(el->listener, &msg);
}

static void set_state(audio_element_handle_t el, audio_element_state_t state, audio_element_status_t status) {
    atomic_store(&el->state, state);
    audio_element_report_status(el, status);
}

/* Runs the close callback once per open. */
static void close_if_open(audio_element_handle_t el) {
    if (!el->is_open) return;
    el->is_open = false;
    if (el->close && el->close(el) != ESP_OK) audio_element_report_status(el, AEL_STATUS_ERROR_CLOSE);
}

static void on_resume(audio_element_handle_t el) {
    if (!el->is_open) {
        atomic_store(&el->state, AEL_STATE_INITIALIZING);
        if (el->open && el->open(el) != ESP_OK) {
            set_state(el, AEL_STATE_ERROR, AEL_STATUS_ERROR_OPEN);
            os_event_group_set_bits(el->state_bits, AEL_BIT_START_FAILED);
            return;
        }
        el->is_open = true;
    }
    el->is_running = true;
    set_state(el, AEL_STATE_RUNNING, AEL_STATUS_STATE_RUNNING);
    os_event_group_set_bits(el->state_bits, AEL_BIT_STARTED);
}

/* Handles one command on the task thread; returns true when the task should end. */
static bool on_command(audio_element_handle_t el, audio_element_msg_cmd_t cmd) {
    switch (cmd) {
        case AEL_MSG_CMD_RESUME:
            on_resume(el);
            return false;
        case AEL_MSG_CMD_PAUSE:
            el->is_running = false;
            close_if_open(el);
            set_state(el, AEL_STATE_PAUSED, AEL_STATUS_STATE_PAUSED);
            os_event_group_set_bits(el->state_bits, AEL_BIT_PAUSED);
            return false;
        case AEL_MSG_CMD_STOP:
            el->is_running = false;
            close_if_open(el);
            set_state(el, AEL_STATE_STOPPED, AEL_STATUS_STATE_STOPPED);
            os_event_group_set_bits(el->state_bits, AEL_BIT_STOPPED);
            return false;
        case AEL_MSG_CMD_DESTROY:
            el->is_running = false;
            close_if_open(el);
            return true;
        default:
            return false;
    }
}

/* One call of the process callback and what its result means for the element's state. */
static bool process_once(audio_element_handle_t el) {
    int result = el->process(el, el->buf, el->buf_size);
    if (result >= 0 || result == AEL_IO_TIMEOUT) return false;
    audio_element_msg_cmd_t cmd;
    if (result == AEL_IO_ABORT) {
        if (os_queue_receive(el->cmd_queue, &cmd, AEL_ABORT_COMMAND_WAIT_MS) == 0) return on_command(el, cmd);
        return false;
    }
    el->is_running = false;
    close_if_open(el);
    if (result == AEL_IO_DONE) {
        if (el->output_rb) rb_done_write(el->output_rb);
        set_state(el, AEL_STATE_FINISHED, AEL_STATUS_STATE_FINISHED);
    } else {
        set_state(el, AEL_STATE_ERROR, AEL_STATUS_ERROR_PROCESS);
    }
    os_event_group_set_bits(el->state_bits, AEL_BIT_STOPPED);
    return false;
}

static void *audio_element_task(void *arg) {
    audio_element_handle_t el = arg;
    if (el->buf_size > 0) el->buf = calloc(1, (size_t)el->buf_size);
    os_event_group_set_bits(el->state_bits, AEL_BIT_TASK_CREATED);
    bool finished = false;
    while (!finished) {
        audio_element_msg_cmd_t cmd;
        int wait = el->is_running ? 0 : OS_WAIT_FOREVER;
        if (os_queue_receive(el->cmd_queue, &cmd, wait) == 0) {
            finished = on_command(el, cmd);
        } else if (el->is_running) {
            finished = process_once(el);
        }
    }
    free(el->buf);
    el->buf = NULL;
    os_event_group_set_bits(el->state_bits, AEL_BIT_TASK_DESTROYED);
    return NULL;
}

esp_err_t audio_element_run(audio_element_handle_t el) {
    if (el->task_started) return ESP_OK;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)el->task_stack);
    int rc = pthread_create(&el->task, &attr, audio_element_task, el);
    pthread_attr_destroy(&attr);
    if (rc != 0) return ESP_FAIL;
    el->task_started = true;
    os_event_group_wait_bits(el->state_bits, AEL_BIT_TASK_CREATED, false, true, OS_WAIT_FOREVER);
    return ESP_OK;
}

/* Clears `done_bits`, queues cmd, and waits for any of them; ESP_OK when `ok_bit` came. */
static esp_err_t command_and_wait(audio_element_handle_t el, audio_element_msg_cmd_t cmd, os_event_bits_t ok_bit,
                                  os_event_bits_t done_bits, int timeout_ms) {
    if (!el->task_started) return ESP_FAIL;
    os_event_group_clear_bits(el->state_bits, done_bits);
    if (os_queue_send(el->cmd_queue, &cmd, timeout_ms) != 0) return ESP_FAIL;
    if (cmd == AEL_MSG_CMD_PAUSE || cmd == AEL_MSG_CMD_STOP) audio_element_abort_inputs(el);
    if (cmd == AEL_MSG_CMD_STOP) audio_element_abort_outputs(el);
    os_event_bits_t bits = os_event_group_wait_bits(el->state_bits, done_bits, false, false, timeout_ms);
    return (bits & ok_bit) ? ESP_OK : ESP_FAIL;
}

esp_err_t audio_element_resume(audio_element_handle_t el, int timeout_ms) {
    return command_and_wait(el, AEL_MSG_CMD_RESUME, AEL_BIT_STARTED, AEL_BIT_STARTED | AEL_BIT_START_FAILED,
                            timeout_ms);
}

esp_err_t audio_element_pause(audio_element_handle_t el) {
    return command_and_wait(el, AEL_MSG_CMD_PAUSE, AEL_BIT_PAUSED, AEL_BIT_PAUSED, AEL_DEFAULT_COMMAND_TIMEOUT_MS);
}

esp_err_t audio_element_stop(audio_element_handle_t el) {
    return command_and_wait(el, AEL_MSG_CMD_STOP, AEL_BIT_STOPPED, AEL_BIT_STOPPED, AEL_DEFAULT_COMMAND_TIMEOUT_MS);
}

esp_err_t audio_element_wait_for_stop(audio_element_handle_t el, int timeout_ms) {
    if (!el->task_started) return ESP_OK;
    os_event_bits_t bits = os_event_group_wait_bits(el->state_bits, AEL_BIT_STOPPED, false, true, timeout_ms);
    return (bits & AEL_BIT_STOPPED) ? ESP_OK : ESP_FAIL;
}

esp_err_t audio_element_terminate(audio_element_handle_t el) {
    if (!el->task_started) return ESP_OK;
    audio_element_msg_cmd_t cmd = AEL_MSG_CMD_DESTROY;
    os_queue_send(el->cmd_queue, &cmd, OS_WAIT_FOREVER);
    audio_element_abort_inputs(el);
    audio_element_abort_outputs(el);
    pthread_join(el->task, NULL);
    el->task_started = false;
    atomic_store(&el->state, AEL_STATE_INIT);
    return ESP_OK;
}

esp_err_t audio_element_deinit(audio_element_handle_t el) {
    if (!el) return ESP_FAIL;
    if (el->cmd_queue && el->state_bits) audio_element_terminate(el);
    if (el->destroy) el->destroy(el);
    os_event_group_destroy(el->state_bits);
    os_queue_destroy(el->cmd_queue);
    free(el->multi_in_rb);
    free(el->multi_out_rb);
    free(el);
    return ESP_OK;
}

audio_element_state_t audio_element_get_state(audio_element_handle_t el) { return atomic_load(&el->state); }

const char *audio_element_get_tag(audio_element_handle_t el) { return el->tag; }

esp_err_t audio_element_setdata(audio_element_handle_t el, void *data) {
    el->data = data;
    return ESP_OK;
}

void *audio_element_getdata(audio_element_handle_t el) { return el->data; }

esp_err_t audio_element_msg_set_listener(audio_element_handle_t el, audio_event_iface_handle_t listener) {
    el->listener = listener;
    return ESP_OK;
}
