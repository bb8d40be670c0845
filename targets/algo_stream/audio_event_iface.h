/* How elements tell the pipeline's listener about their state (ESP-ADF audio_event_iface.h). Messages
 * travel by value through a fixed-size queue; a full queue drops the message (as the original does with
 * a zero send timeout), so reporting never blocks an element and never allocates. */
#ifndef ALGO_STREAM_AUDIO_EVENT_IFACE_H
#define ALGO_STREAM_AUDIO_EVENT_IFACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    AUDIO_ELEMENT_TYPE_UNKNOW = 0x01 << 24,
    AUDIO_ELEMENT_TYPE_ELEMENT = 0x01 << 25,
    AUDIO_ELEMENT_TYPE_PLAYER = 0x01 << 26,
} audio_event_source_type_t;

typedef struct {
    int cmd;          /* AEL_MSG_CMD_REPORT_STATUS, ... (audio_element.h) */
    void *data;       /* for status reports: the audio_element_status_t, cast */
    int data_len;
    void *source;     /* the element that sent it */
    int source_type;  /* audio_event_source_type_t */
} audio_event_iface_msg_t;

typedef struct {
    int queue_size;   /* messages held before new ones are dropped */
} audio_event_iface_cfg_t;

#define AUDIO_EVENT_IFACE_DEFAULT_CFG() { .queue_size = 64 }

typedef struct audio_event_iface *audio_event_iface_handle_t;

audio_event_iface_handle_t audio_event_iface_init(const audio_event_iface_cfg_t *config);
/* Queues msg without waiting; 0, or -1 when the queue is full (the message is dropped and counted). */
int audio_event_iface_sendout(audio_event_iface_handle_t evt, const audio_event_iface_msg_t *msg);
/* Takes the oldest message, waiting up to timeout_ms; 0, or -1 on timeout. */
int audio_event_iface_listen(audio_event_iface_handle_t evt, audio_event_iface_msg_t *msg, int timeout_ms);
/* Messages dropped because the queue was full. */
uint64_t audio_event_iface_dropped(audio_event_iface_handle_t evt);
int audio_event_iface_destroy(audio_event_iface_handle_t evt);

#ifdef __cplusplus
}
#endif

#endif
