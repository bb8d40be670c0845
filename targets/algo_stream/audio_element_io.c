/* The element's ring buffers and its input/output calls (see audio_element.h). */
#include "audio_element_internal.h"

/* Ring buffer results are the element's I/O results under other names (ringbuf.h, audio_element.h). */
static int io_result_from_rb(int rb_result) {
    switch (rb_result) {
        case RB_DONE: return AEL_IO_DONE;
        case RB_ABORT: return AEL_IO_ABORT;
        case RB_TIMEOUT: return AEL_IO_TIMEOUT;
        case RB_FAIL: return AEL_IO_FAIL;
        default: return rb_result;
    }
}

esp_err_t audio_element_set_input_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb) {
    el->input_rb = rb;
    return ESP_OK;
}

ringbuf_handle_t audio_element_get_input_ringbuf(audio_element_handle_t el) { return el->input_rb; }

esp_err_t audio_element_set_output_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb) {
    el->output_rb = rb;
    return ESP_OK;
}

ringbuf_handle_t audio_element_get_output_ringbuf(audio_element_handle_t el) { return el->output_rb; }

esp_err_t audio_element_set_multi_input_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb, int index) {
    if (index < 0 || index >= el->multi_in_num) return ESP_FAIL;
    el->multi_in_rb[index] = rb;
    return ESP_OK;
}

ringbuf_handle_t audio_element_get_multi_input_ringbuf(audio_element_handle_t el, int index) {
    return index >= 0 && index < el->multi_in_num ? el->multi_in_rb[index] : NULL;
}

esp_err_t audio_element_set_multi_output_ringbuf(audio_element_handle_t el, ringbuf_handle_t rb, int index) {
    if (index < 0 || index >= el->multi_out_num) return ESP_FAIL;
    el->multi_out_rb[index] = rb;
    return ESP_OK;
}

void audio_element_set_input_timeout(audio_element_handle_t el, int timeout_ms) { el->input_wait_ms = timeout_ms; }

void audio_element_set_output_timeout(audio_element_handle_t el, int timeout_ms) { el->output_wait_ms = timeout_ms; }

int audio_element_input(audio_element_handle_t el, char *buffer, int len) {
    if (el->read) return el->read(el, buffer, len, el->input_wait_ms, NULL);
    if (!el->input_rb) return AEL_IO_FAIL;
    return io_result_from_rb(rb_read(el->input_rb, buffer, len, el->input_wait_ms));
}

int audio_element_output(audio_element_handle_t el, const char *buffer, int len) {
    if (el->write) return el->write(el, (char *)buffer, len, el->output_wait_ms, NULL);
    if (!el->output_rb) return AEL_IO_FAIL;
    return io_result_from_rb(rb_write(el->output_rb, buffer, len, el->output_wait_ms));
}

int audio_element_multi_input(audio_element_handle_t el, char *buffer, int len, int index, int timeout_ms) {
    ringbuf_handle_t rb = audio_element_get_multi_input_ringbuf(el, index);
    if (!rb) return AEL_IO_FAIL;
    return io_result_from_rb(rb_read(rb, buffer, len, timeout_ms));
}

int audio_element_multi_output(audio_element_handle_t el, const char *buffer, int len, int timeout_ms) {
    int result = len;
    for (int i = 0; i < el->multi_out_num; ++i) {
        if (!el->multi_out_rb[i]) continue;
        int written = io_result_from_rb(rb_write(el->multi_out_rb[i], buffer, len, timeout_ms));
        if (written < 0) result = written;
    }
    return result;
}

void audio_element_abort_inputs(audio_element_handle_t el) {
    if (el->input_rb) rb_abort(el->input_rb);
    for (int i = 0; i < el->multi_in_num; ++i)
        if (el->multi_in_rb[i]) rb_abort(el->multi_in_rb[i]);
}

void audio_element_abort_outputs(audio_element_handle_t el) {
    if (el->output_rb) rb_abort(el->output_rb);
    for (int i = 0; i < el->multi_out_num; ++i)
        if (el->multi_out_rb[i]) rb_abort(el->multi_out_rb[i]);
}

void audio_element_reset_inputs(audio_element_handle_t el) {
    if (el->input_rb) rb_reset(el->input_rb);
    for (int i = 0; i < el->multi_in_num; ++i)
        if (el->multi_in_rb[i]) rb_reset(el->multi_in_rb[i]);
}
