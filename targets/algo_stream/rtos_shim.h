/* The FreeRTOS pieces ESP-ADF relies on, on pthreads: a queue of fixed-size items copied by value
 * (xQueue) and an event group of bits that tasks wait on (xEventGroup). Both allocate once, at create,
 * so that sending messages and setting bits never touches the heap: a pause/resume cycle must not
 * allocate anything that outlives it. Timeouts are in milliseconds; OS_WAIT_FOREVER blocks. */
#ifndef ALGO_STREAM_RTOS_SHIM_H
#define ALGO_STREAM_RTOS_SHIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OS_WAIT_FOREVER (-1)

typedef struct os_queue os_queue_t;

/* A queue of `capacity` items of `item_size` bytes; NULL when out of memory. */
os_queue_t *os_queue_create(size_t capacity, size_t item_size);
/* Copies `item` in; 0, or -1 when the queue stayed full for timeout_ms. */
int os_queue_send(os_queue_t *queue, const void *item, int timeout_ms);
/* Copies the oldest item out; 0, or -1 when the queue stayed empty for timeout_ms. */
int os_queue_receive(os_queue_t *queue, void *item, int timeout_ms);
void os_queue_destroy(os_queue_t *queue);

typedef struct os_event_group os_event_group_t;
typedef uint32_t os_event_bits_t;

os_event_group_t *os_event_group_create(void);
void os_event_group_set_bits(os_event_group_t *group, os_event_bits_t bits);
void os_event_group_clear_bits(os_event_group_t *group, os_event_bits_t bits);
os_event_bits_t os_event_group_get_bits(os_event_group_t *group);
/* Waits until any (wait_all false) or all of `bits` are set, or timeout_ms passed; returns the bits as
 * they were when the wait ended. clear_on_exit clears `bits` when the wait succeeded. */
os_event_bits_t os_event_group_wait_bits(os_event_group_t *group, os_event_bits_t bits, bool clear_on_exit,
                                         bool wait_all, int timeout_ms);
void os_event_group_destroy(os_event_group_t *group);

/* Absolute CLOCK_MONOTONIC deadline timeout_ms from now, for pthread_cond_timedwait on a condition
 * variable made by os_cond_init_monotonic. */
struct timespec os_deadline_after_ms(int timeout_ms);
/* Waits on cond until signalled or the deadline; OS_WAIT_FOREVER (deadline NULL) never times out.
 * Returns 0, or ETIMEDOUT. */
int os_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline);
void os_cond_init_monotonic(pthread_cond_t *cond);

#ifdef __cplusplus
}
#endif

#endif
