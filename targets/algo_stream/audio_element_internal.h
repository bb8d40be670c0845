/* The element's record, shared by the lifecycle (audio_element.c) and I/O (audio_element_io.c) halves. */
#ifndef ALGO_STREAM_AUDIO_ELEMENT_INTERNAL_H
#define ALGO_STREAM_AUDIO_ELEMENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "audio_element.h"
#include "rtos_shim.h"

/* Bits of the element's event group: what the task has done, for the functions that wait on it. */
enum {
    AEL_BIT_TASK_CREATED = 1u << 0,
    AEL_BIT_TASK_DESTROYED = 1u << 1,
    AEL_BIT_STARTED = 1u << 2,
    AEL_BIT_PAUSED = 1u << 3,
    AEL_BIT_STOPPED = 1u << 4,
    AEL_BIT_START_FAILED = 1u << 5,
};

#define AEL_TAG_MAX 32

struct audio_element {
    el_io_func open;
    process_func process;
    el_io_func close;
    el_io_func destroy;
    stream_func read;
    stream_func write;
    void *data;
    char tag[AEL_TAG_MAX];

    char *buf;              /* handed to process; allocated by the task, freed when it ends */
    int buf_size;
    int task_stack;

    ringbuf_handle_t input_rb;
    ringbuf_handle_t output_rb;
    ringbuf_handle_t *multi_in_rb;  /* multi_in_num slots, allocated at init */
    int multi_in_num;
    ringbuf_handle_t *multi_out_rb;
    int multi_out_num;
    int input_wait_ms;
    int output_wait_ms;

    os_queue_t *cmd_queue;          /* audio_element_msg_cmd_t, by value */
    os_event_group_t *state_bits;   /* AEL_BIT_* */
    audio_event_iface_handle_t listener;
    atomic_int state;               /* audio_element_state_t */
    bool is_open;                   /* task thread only */
    bool is_running;                /* task thread only */
    bool task_started;
    pthread_t task;
};

#endif
