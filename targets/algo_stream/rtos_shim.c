/* Queues and event groups on a mutex and a monotonic condition variable (see rtos_shim.h). */
#include "rtos_shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct os_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* signalled on every send and receive */
    size_t capacity;
    size_t item_size;
    size_t head;  /* index of the oldest item */
    size_t count;
    unsigned char *items; /* capacity * item_size bytes */
};

struct os_event_group {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    os_event_bits_t bits;
};

struct timespec os_deadline_after_ms(int timeout_ms) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = (long long)now.tv_nsec + (long long)timeout_ms * 1000000LL;
    now.tv_sec += (time_t)(ns / 1000000000LL);
    now.tv_nsec = (long)(ns % 1000000000LL);
    return now;
}

void os_cond_init_monotonic(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

int os_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline) {
    if (!deadline) return pthread_cond_wait(cond, mutex);
    return pthread_cond_timedwait(cond, mutex, deadline);
}

os_queue_t *os_queue_create(size_t capacity, size_t item_size) {
    if (capacity == 0 || item_size == 0) return NULL;
    os_queue_t *queue = calloc(1, sizeof(*queue));
    if (!queue) return NULL;
    queue->items = calloc(capacity, item_size);
    if (!queue->items) {
        free(queue);
        return NULL;
    }
    queue->capacity = capacity;
    queue->item_size = item_size;
    pthread_mutex_init(&queue->lock, NULL);
    os_cond_init_monotonic(&queue->changed);
    return queue;
}

int os_queue_send(os_queue_t *queue, const void *item, int timeout_ms) {
    struct timespec deadline = os_deadline_after_ms(timeout_ms);
    const struct timespec *until = timeout_ms == OS_WAIT_FOREVER ? NULL : &deadline;
    pthread_mutex_lock(&queue->lock);
    while (queue->count == queue->capacity) {
        if (timeout_ms == 0 || os_cond_wait_until(&queue->changed, &queue->lock, until) == ETIMEDOUT) {
            pthread_mutex_unlock(&queue->lock);
            return -1;
        }
    }
    size_t tail = (queue->head + queue->count) % queue->capacity;
    memcpy(queue->items + tail * queue->item_size, item, queue->item_size);
    queue->count++;
    pthread_cond_broadcast(&queue->changed);
    pthread_mutex_unlock(&queue->lock);
    return 0;
}

int os_queue_receive(os_queue_t *queue, void *item, int timeout_ms) {
    struct timespec deadline = os_deadline_after_ms(timeout_ms);
    const struct timespec *until = timeout_ms == OS_WAIT_FOREVER ? NULL : &deadline;
    pthread_mutex_lock(&queue->lock);
    while (queue->count == 0) {
        if (timeout_ms == 0 || os_cond_wait_until(&queue->changed, &queue->lock, until) == ETIMEDOUT) {
            pthread_mutex_unlock(&queue->lock);
            return -1;
        }
    }
    memcpy(item, queue->items + queue->head * queue->item_size, queue->item_size);
    queue->head = (queue->head + 1) % queue->capacity;
    queue->count--;
    pthread_cond_broadcast(&queue->changed);
    pthread_mutex_unlock(&queue->lock);
    return 0;
}

void os_queue_destroy(os_queue_t *queue) {
    if (!queue) return;
    pthread_cond_destroy(&queue->changed);
    pthread_mutex_destroy(&queue->lock);
    free(queue->items);
    free(queue);
}

os_event_group_t *os_event_group_create(void) {
    os_event_group_t *group = calloc(1, sizeof(*group));
    if (!group) return NULL;
    pthread_mutex_init(&group->lock, NULL);
    os_cond_init_monotonic(&group->changed);
    return group;
}

void os_event_group_set_bits(os_event_group_t *group, os_event_bits_t bits) {
    pthread_mutex_lock(&group->lock);
    group->bits |= bits;
    pthread_cond_broadcast(&group->changed);
    pthread_mutex_unlock(&group->lock);
}

void os_event_group_clear_bits(os_event_group_t *group, os_event_bits_t bits) {
    pthread_mutex_lock(&group->lock);
    group->bits &= ~bits;
    pthread_mutex_unlock(&group->lock);
}

os_event_bits_t os_event_group_get_bits(os_event_group_t *group) {
    pthread_mutex_lock(&group->lock);
    os_event_bits_t bits = group->bits;
    pthread_mutex_unlock(&group->lock);
    return bits;
}

static bool bits_satisfied(os_event_bits_t current, os_event_bits_t wanted, bool wait_all) {
    return wait_all ? (current & wanted) == wanted : (current & wanted) != 0;
}

os_event_bits_t os_event_group_wait_bits(os_event_group_t *group, os_event_bits_t bits, bool clear_on_exit,
                                         bool wait_all, int timeout_ms) {
    struct timespec deadline = os_deadline_after_ms(timeout_ms);
    const struct timespec *until = timeout_ms == OS_WAIT_FOREVER ? NULL : &deadline;
    pthread_mutex_lock(&group->lock);
    while (!bits_satisfied(group->bits, bits, wait_all)) {
        if (timeout_ms == 0 || os_cond_wait_until(&group->changed, &group->lock, until) == ETIMEDOUT) break;
    }
    os_event_bits_t seen = group->bits;
    if (clear_on_exit && bits_satisfied(seen, bits, wait_all)) group->bits &= ~bits;
    pthread_mutex_unlock(&group->lock);
    return seen;
}

void os_event_group_destroy(os_event_group_t *group) {
    if (!group) return;
    pthread_cond_destroy(&group->changed);
    pthread_mutex_destroy(&group->lock);
    free(group);
}
