/* Event interface: a by-value message queue with drop-on-full (see audio_event_iface.h). */
#include "audio_event_iface.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "rtos_shim.h"

struct audio_event_iface {
    os_queue_t *queue;
    atomic_uint_fast64_t dropped;
};

audio_event_iface_handle_t audio_event_iface_init(const audio_event_iface_cfg_t *config) {
    if (!config || config->queue_size <= 0) return NULL;
    struct audio_event_iface *evt = calloc(1, sizeof(*evt));
    if (!evt) return NULL;
    evt->queue = os_queue_create((size_t)config->queue_size, sizeof(audio_event_iface_msg_t));
    if (!evt->queue) {
        free(evt);
        return NULL;
    }
    return evt;
}

int audio_event_iface_sendout(audio_event_iface_handle_t evt, const audio_event_iface_msg_t *msg) {
    if (os_queue_send(evt->queue, msg, 0) == 0) return 0;
    atomic_fetch_add(&evt->dropped, 1);
    return -1;
}

int audio_event_iface_listen(audio_event_iface_handle_t evt, audio_event_iface_msg_t *msg, int timeout_ms) {
    return os_queue_receive(evt->queue, msg, timeout_ms);
}

uint64_t audio_event_iface_dropped(audio_event_iface_handle_t evt) { return atomic_load(&evt->dropped); }

int audio_event_iface_destroy(audio_event_iface_handle_t evt) {
    if (!evt) return -1;
    os_queue_destroy(evt->queue);
    free(evt);
    return 0;
}
