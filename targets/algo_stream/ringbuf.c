/* Ring buffer between audio elements (see ringbuf.h for the whole-chunk contract). */
#include "ringbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rtos_shim.h"

struct ringbuf {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* data added or removed, done or abort set */
    char *data;
    int size;
    int read_pos;
    int filled;
    bool done_write;
    bool aborted;
};

ringbuf_handle_t rb_create(int block_size, int n_blocks) {
    if (block_size <= 0 || n_blocks <= 0 || block_size > (1 << 24) / n_blocks) return NULL;
    struct ringbuf *rb = calloc(1, sizeof(*rb));
    if (!rb) return NULL;
    rb->size = block_size * n_blocks;
    rb->data = malloc((size_t)rb->size);
    if (!rb->data) {
        free(rb);
        return NULL;
    }
    pthread_mutex_init(&rb->lock, NULL);
    os_cond_init_monotonic(&rb->changed);
    return rb;
}

/* Copies len bytes between the ring and buf, handling the wrap at the end of the storage. */
static void copy_out(struct ringbuf *rb, char *buf, int len) {
    int first = rb->size - rb->read_pos < len ? rb->size - rb->read_pos : len;
    memcpy(buf, rb->data + rb->read_pos, (size_t)first);
    memcpy(buf + first, rb->data, (size_t)(len - first));
    rb->read_pos = (rb->read_pos + len) % rb->size;
    rb->filled -= len;
}

static void copy_in(struct ringbuf *rb, const char *buf, int len) {
    int write_pos = (rb->read_pos + rb->filled) % rb->size;
    int first = rb->size - write_pos < len ? rb->size - write_pos : len;
    memcpy(rb->data + write_pos, buf, (size_t)first);
    memcpy(rb->data, buf + first, (size_t)(len - first));
    rb->filled += len;
}

/* Moves len bytes out of the ring into read_buf (when read_buf is not NULL) or from write_buf into it,
 * waiting up to timeout_ms for enough data or room. Returns len or an RB_* code. */
static int transfer(ringbuf_handle_t rb, char *read_buf, const char *write_buf, int len, int timeout_ms) {
    if (!rb || (!read_buf && !write_buf) || len <= 0 || len > rb->size) return RB_FAIL;
    struct timespec deadline = os_deadline_after_ms(timeout_ms);
    const struct timespec *until = timeout_ms == OS_WAIT_FOREVER ? NULL : &deadline;
    int result = len;
    pthread_mutex_lock(&rb->lock);
    for (;;) {
        if (rb->aborted) { result = RB_ABORT; break; }
        if (read_buf && rb->filled >= len) { copy_out(rb, read_buf, len); break; }
        /* A reader drains what is left before it sees the end; a writer may not add after it. */
        if (rb->done_write) { result = RB_DONE; break; }
        if (write_buf && rb->size - rb->filled >= len) { copy_in(rb, write_buf, len); break; }
        if (timeout_ms == 0 || os_cond_wait_until(&rb->changed, &rb->lock, until) == ETIMEDOUT) {
            result = RB_TIMEOUT;
            break;
        }
    }
    if (result == len) pthread_cond_broadcast(&rb->changed);
    pthread_mutex_unlock(&rb->lock);
    return result;
}

int rb_read(ringbuf_handle_t rb, char *buf, int len, int timeout_ms) {
    return buf ? transfer(rb, buf, NULL, len, timeout_ms) : RB_FAIL;
}

int rb_write(ringbuf_handle_t rb, const char *buf, int len, int timeout_ms) {
    return buf ? transfer(rb, NULL, buf, len, timeout_ms) : RB_FAIL;
}

/* Sets one of the marks and wakes every waiter so that it sees it. */
static int set_mark(ringbuf_handle_t rb, bool *mark) {
    pthread_mutex_lock(&rb->lock);
    *mark = true;
    pthread_cond_broadcast(&rb->changed);
    pthread_mutex_unlock(&rb->lock);
    return RB_OK;
}

int rb_done_write(ringbuf_handle_t rb) { return rb ? set_mark(rb, &rb->done_write) : RB_FAIL; }

int rb_abort(ringbuf_handle_t rb) { return rb ? set_mark(rb, &rb->aborted) : RB_FAIL; }

int rb_reset(ringbuf_handle_t rb) {
    if (!rb) return RB_FAIL;
    pthread_mutex_lock(&rb->lock);
    rb->read_pos = 0;
    rb->filled = 0;
    rb->done_write = false;
    rb->aborted = false;
    pthread_cond_broadcast(&rb->changed);
    pthread_mutex_unlock(&rb->lock);
    return RB_OK;
}

int rb_bytes_filled(ringbuf_handle_t rb) {
    if (!rb) return RB_FAIL;
    pthread_mutex_lock(&rb->lock);
    int filled = rb->filled;
    pthread_mutex_unlock(&rb->lock);
    return filled;
}

int rb_bytes_available(ringbuf_handle_t rb) {
    int filled = rb_bytes_filled(rb);
    return filled < 0 ? filled : rb->size - filled;
}

int rb_get_size(ringbuf_handle_t rb) { return rb ? rb->size : RB_FAIL; }

int rb_destroy(ringbuf_handle_t rb) {
    if (!rb) return RB_FAIL;
    pthread_cond_destroy(&rb->changed);
    pthread_mutex_destroy(&rb->lock);
    free(rb->data);
    free(rb);
    return RB_OK;
}
