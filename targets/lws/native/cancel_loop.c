/* The cancel loop of lws_native (see native_loops.h): a second thread wakes the service loop with
 * lws_cancel_service, the way an application hands work to the lws thread. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <leakscope/leakscope.h>

#include "echo_context.h"
#include "native_loops.h"

/* The waker thread calls lws_cancel_service once per request. The main thread asks for the next
 * wake-up only after it saw the previous one, so wake-ups are never merged into one. */
struct cancel_waker {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct lws_context *context;
    int requested;
    int sent;
    int stop;
};

static void *cancel_waker_main(void *argument) {
    struct cancel_waker *waker = (struct cancel_waker *)argument;
    pthread_mutex_lock(&waker->lock);
    while (!waker->stop) {
        if (waker->sent < waker->requested) {
            pthread_mutex_unlock(&waker->lock);
            lws_cancel_service(waker->context);
            pthread_mutex_lock(&waker->lock);
            waker->sent++;
            pthread_cond_broadcast(&waker->changed);
        } else {
            pthread_cond_wait(&waker->changed, &waker->lock);
        }
    }
    pthread_mutex_unlock(&waker->lock);
    return NULL;
}

static void cancel_waker_request(struct cancel_waker *waker) {
    pthread_mutex_lock(&waker->lock);
    waker->requested++;
    pthread_cond_broadcast(&waker->changed);
    pthread_mutex_unlock(&waker->lock);
}

static void cancel_waker_stop(struct cancel_waker *waker, pthread_t thread) {
    pthread_mutex_lock(&waker->lock);
    waker->stop = 1;
    pthread_cond_broadcast(&waker->changed);
    pthread_mutex_unlock(&waker->lock);
    pthread_join(thread, NULL);
}

static int cancel_target;

static int cancel_seen_for_this_cycle(const struct echo_run *run) { return run->cancels_seen >= cancel_target; }

int lws_native_loop_cancel(int cycles) {
    struct echo_run run = {.messages = 0};
    struct echo_context echo;
    if (echo_context_create(&echo, &run) != 0) return -1;

    struct cancel_waker waker = {.context = echo.context};
    pthread_mutex_init(&waker.lock, NULL);
    pthread_cond_init(&waker.changed, NULL);
    pthread_t thread;
    int error = pthread_create(&thread, NULL, cancel_waker_main, &waker);
    if (error != 0) {
        fprintf(stderr, "lws_native: pthread_create for the waker thread failed: %s\n", strerror(error));
        echo_context_destroy(&echo);
        return -1;
    }
    leakscope_snapshot("start");

    int result = 0;
    for (int cycle = 1; cycle <= cycles && result == 0; cycle++) {
        run.cycle = cycle;
        /* Counted from what was already seen: lws may deliver a wake-up of its own. */
        cancel_target = run.cancels_seen + 1;
        cancel_waker_request(&waker);
        result = echo_service_until(&echo, &run, cancel_seen_for_this_cycle,
                                    "waiting for LWS_CALLBACK_EVENT_WAIT_CANCELLED");
        if (result == 0) leakscope_snapshot("cycle");
    }

    cancel_waker_stop(&waker, thread);
    pthread_cond_destroy(&waker.changed);
    pthread_mutex_destroy(&waker.lock);
    echo_context_destroy(&echo);
    return result;
}
