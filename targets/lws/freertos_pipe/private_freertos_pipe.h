/* A Linux miniature of the pieces of libwebsockets' FreeRTOS platform that hold the event pipe:
 * lwIP has no pipe, so lws wakes its wait with a byte sent between two loopback UDP sockets.
 *
 * Names follow upstream (lib/plat/freertos/freertos-pipe.c, lib/core-net/close.c,
 * lib/core-net/vhost.c, lib/core/context.c) so that the frames leakscope reports read like the real
 * bug. Only what the bug needs is kept: one service thread (pt[0]), one wsi (the event pipe's), the
 * context's sockaddr_in of the pipe. The code is written for this project; docs/targets.md says what
 * is upstream's and what is not. Functions are kept out of line so that each shows as its own frame. */
#ifndef LEAKSCOPE_TARGETS_LWS_PRIVATE_FREERTOS_PIPE_H
#define LEAKSCOPE_TARGETS_LWS_PRIVATE_FREERTOS_PIPE_H

#include <netinet/in.h>

#define LWS_SOCK_INVALID (-1)
#define LWS_NOINLINE __attribute__((noinline, noclone)) /* no .constprop clones: frames keep their names */

/* What the generic close path does with dummy_pipe_fds[0] when it closes the pipe wsi. */
enum lws_pipe_fd_invalidation {
    /* Before the fix (b486c2b54, 2024-09 .. e7f9545d0, 2025-03): set to LWS_SOCK_INVALID on every
     * platform, so lws_pt_destroy's pipe close later finds -1 and closes only fd[1]. */
    LWS_PIPE_FD0_INVALIDATED,
    /* The fix: on FreeRTOS the invalidation is compiled out; the pipe close closes both fds. */
    LWS_PIPE_FD0_KEPT,
};

struct lws_context;

/* The one wsi kept: the event pipe's, whose socket is the pipe's read end (dummy_pipe_fds[0]). */
struct lws {
    struct lws_context *context;
    int tsi; /* service thread index */
    struct {
        int sockfd;
    } desc;
};

struct lws_context_per_thread {
    struct lws_context *context;
    int tid;
    int dummy_pipe_fds[2]; /* [0] bound, read by the wait; [1] sends the wake-up byte */
    struct lws *pipe_wsi;
};

struct lws_context {
    struct sockaddr_in frt_pipe_si; /* where fd[0] is bound (port 0, read back); the signal sends there */
    struct lws_context_per_thread pt[1];
    enum lws_pipe_fd_invalidation pipe_fd_invalidation;
    unsigned cancels_seen; /* LWS_CALLBACK_EVENT_WAIT_CANCELLED deliveries */
};

struct lws_context_creation_info {
    enum lws_pipe_fd_invalidation pipe_fd_invalidation;
};

/* freertos_pipe.c: the platform pipe on two UDP sockets of the lwIP socket table. */
int lws_plat_pipe_create(struct lws *wsi);
int lws_plat_pipe_signal(struct lws *wsi);
void lws_plat_pipe_close(struct lws *wsi);
int lws_plat_pipe_is_fd_assocated(struct lws_context *context, int tsi, int fd); /* sic, as upstream */

/* freertos_close.c: the end of the generic wsi close path. */
void __lws_close_free_wsi_final(struct lws *wsi);

/* freertos_context.c: context lifecycle and the wait. */
int __lws_create_event_pipes(struct lws_context *context);
struct lws_context *lws_create_context(const struct lws_context_creation_info *info);
void lws_context_destroy(struct lws_context *context);
void lws_cancel_service(struct lws_context *context);
/* Waits up to timeout_ms for the event pipe; returns the wake-ups it consumed (0 on timeout), or -1
 * when poll or recv fails. */
int lws_service(struct lws_context *context, int timeout_ms);

#endif
