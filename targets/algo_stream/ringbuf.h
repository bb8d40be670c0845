/* The byte FIFO between two audio elements (ESP-ADF ringbuf.h): one writer, one reader, blocking with
 * timeouts, an end-of-stream mark (rb_done_write) and an abort that wakes both sides.
 *
 * One deliberate difference from the original: a read or write moves exactly `len` bytes or nothing.
 * The original may return a short count on timeout; here the algorithm element reads the record and the
 * reference of one chunk from two buffers, and whole-chunk transfers keep the two sample-aligned across
 * any pause, which the echo canceller needs. `len` must not exceed the buffer size. */
#ifndef ALGO_STREAM_RINGBUF_H
#define ALGO_STREAM_RINGBUF_H

#include "rtos_shim.h" /* OS_WAIT_FOREVER */

#ifdef __cplusplus
extern "C" {
#endif

#define RB_OK 0
#define RB_FAIL (-1)
#define RB_DONE (-2)    /* the writer called rb_done_write and no data is left */
#define RB_ABORT (-3)   /* rb_abort was called; cleared by rb_reset */
#define RB_TIMEOUT (-4)

typedef struct ringbuf *ringbuf_handle_t;

/* A buffer of block_size * n_blocks bytes; NULL on bad sizes or out of memory. */
ringbuf_handle_t rb_create(int block_size, int n_blocks);
/* Reads exactly len bytes into buf, waiting up to timeout_ms (OS_WAIT_FOREVER: no limit) for them.
 * Returns len, or RB_DONE, RB_ABORT, RB_TIMEOUT, RB_FAIL (bad arguments). */
int rb_read(ringbuf_handle_t rb, char *buf, int len, int timeout_ms);
/* Writes exactly len bytes, waiting up to timeout_ms for room. Returns len, or RB_ABORT, RB_TIMEOUT,
 * RB_DONE (the stream was already marked done), RB_FAIL. */
int rb_write(ringbuf_handle_t rb, const char *buf, int len, int timeout_ms);
/* Marks the end of the stream: readers drain what is left, then get RB_DONE. */
int rb_done_write(ringbuf_handle_t rb);
/* Wakes every waiter with RB_ABORT, now and for later calls, until rb_reset. */
int rb_abort(ringbuf_handle_t rb);
/* Empties the buffer and clears the done and abort marks. */
int rb_reset(ringbuf_handle_t rb);
int rb_bytes_filled(ringbuf_handle_t rb);
int rb_bytes_available(ringbuf_handle_t rb);
int rb_get_size(ringbuf_handle_t rb);
int rb_destroy(ringbuf_handle_t rb);

#ifdef __cplusplus
}
#endif

#endif
