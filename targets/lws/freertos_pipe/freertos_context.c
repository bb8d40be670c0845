/* Context lifecycle and the wait of the FreeRTOS-pipe miniature: creating a context creates the
 * event pipe and the wsi that wraps its read end (__lws_create_event_pipes); destroying it first
 * closes that wsi through the generic close path, then destroys the service thread state
 * (lws_pt_destroy), whose pipe close is the second step of the leak. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "private_freertos_pipe.h"

/* Makes the event-pipe wsi of each service thread and its pipe; the wsi's socket is fd[0], the end
 * the wait polls. */
LWS_NOINLINE int __lws_create_event_pipes(struct lws_context *context) {
    struct lws_context_per_thread *pt = &context->pt[0];
    if (pt->pipe_wsi) return 0;

    struct lws *wsi = calloc(1, sizeof(*wsi));
    if (!wsi) return 1;
    wsi->context = context;
    wsi->tsi = pt->tid;
    wsi->desc.sockfd = LWS_SOCK_INVALID;
    pt->pipe_wsi = wsi;

    if (lws_plat_pipe_create(wsi)) return 1;
    wsi->desc.sockfd = pt->dummy_pipe_fds[0];
    return 0;
}

/* At the end of context destroy: if the pipe still has an fd, close it through a stack-local
 * stand-in wsi (the pipe wsi itself is gone by now). */
static LWS_NOINLINE void lws_pt_destroy(struct lws_context_per_thread *pt) {
    if (pt->dummy_pipe_fds[0] != LWS_SOCK_INVALID || pt->dummy_pipe_fds[1] != LWS_SOCK_INVALID) {
        struct lws wsi = {.context = pt->context, .tsi = pt->tid, .desc = {.sockfd = LWS_SOCK_INVALID}};
        lws_plat_pipe_close(&wsi);
    }
}

LWS_NOINLINE struct lws_context *lws_create_context(const struct lws_context_creation_info *info) {
    struct lws_context *context = calloc(1, sizeof(*context));
    if (!context) return NULL;
    context->pipe_fd_invalidation = info->pipe_fd_invalidation;
    context->pt[0].context = context;
    context->pt[0].tid = 0;
    context->pt[0].dummy_pipe_fds[0] = context->pt[0].dummy_pipe_fds[1] = LWS_SOCK_INVALID;

    if (__lws_create_event_pipes(context)) {
        /* As lws does for a failed creation: destroy the partial context, nothing of it outlives it. */
        lws_context_destroy(context);
        return NULL;
    }
    return context;
}

LWS_NOINLINE void lws_context_destroy(struct lws_context *context) {
    struct lws_context_per_thread *pt = &context->pt[0];
    /* Step 1: the generic close path for every wsi still open, here only the pipe's. */
    if (pt->pipe_wsi) __lws_close_free_wsi_final(pt->pipe_wsi);
    /* Step 2: the per-thread teardown closes what the pipe still holds. */
    lws_pt_destroy(pt);
    free(context);
}

LWS_NOINLINE void lws_cancel_service(struct lws_context *context) {
    if (context->pt[0].pipe_wsi) lws_plat_pipe_signal(context->pt[0].pipe_wsi);
}

LWS_NOINLINE int lws_service(struct lws_context *context, int timeout_ms) {
    struct lws *pipe_wsi = context->pt[0].pipe_wsi;
    if (!pipe_wsi) return -1;

    struct pollfd wait = {.fd = pipe_wsi->desc.sockfd, .events = POLLIN};
    int ready = poll(&wait, 1, timeout_ms);
    if (ready <= 0) return ready; /* 0: nothing woke the wait; -1: poll failed */

    /* Drain every queued wake-up byte: several signals before one wait are one cancellation. */
    int woken = 0;
    uint8_t byte;
    while (recv(pipe_wsi->desc.sockfd, &byte, 1, MSG_DONTWAIT) == 1) woken = 1;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    context->cancels_seen += (unsigned)woken; /* where lws broadcasts LWS_CALLBACK_EVENT_WAIT_CANCELLED */
    return woken;
}
