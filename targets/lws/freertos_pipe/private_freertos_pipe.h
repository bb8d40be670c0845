/* A Linux miniature of the pieces of libwebsockets' FreeRTOS platform that hold the "dummy pipe":
 * lwIP has no pipe, so lws wakes its wait with a byte sent between two loopback UDP sockets.
 *
 * Names follow the originals (lib/plat/freertos/freertos-pipe.c, lib/core-net/close.c,
 * lib/core/context.c) so that the frames leakscope reports read like the real bug. Only what the
 * bug needs is kept: one service thread (pt[0]), one wsi (the event pipe's), and the context's
 * prepared sockaddr_in. The functions are kept out of line so that each shows as its own frame. */
#ifndef LEAKSCOPE_TARGETS_LWS_PRIVATE_FREERTOS_PIPE_H
#define LEAKSCOPE_TARGETS_LWS_PRIVATE_FREERTOS_PIPE_H

#include <netinet/in.h>

#define LWS_SOCK_INVALID (-1)
#define LWS_NOINLINE __attribute__((noinline, noclone)) /* no .constprop clones: frames keep their names */

/* Which order the generic close path uses for the event-pipe wsi (see __lws_close_free_wsi_final). */
enum lws_pipe_close_order {
    /* FreeRTOS before the fix: dummy_pipe_fds[0] is invalidated before lws_plat_pipe_close runs,
     * so the bound UDP socket fd[0] is never closed. */
    LWS_PIPE_CLOSE_INVALIDATE_FIRST,
    /* The fix: on FreeRTOS the invalidation is compiled out and the pipe close closes both fds. */
    LWS_PIPE_CLOSE_KEEP_FOR_CLOSE,
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
    int dummy_pipe_fds[2]; /* [0] bound, read by the wait; [1] sends the wake-up byte */
    struct lws *pipe_wsi;
};

struct lws_context {
    struct sockaddr_in frt_pipe_si; /* where fd[0] is bound; lws_plat_pipe_signal sends there */
    struct lws_context_per_thread pt[1];
    unsigned short pipe_port; /* 54321 in the original; 0 lets the kernel choose */
    enum lws_pipe_close_order pipe_close_order;
    unsigned cancels_seen; /* LWS_CALLBACK_EVENT_WAIT_CANCELLED deliveries */
};

struct lws_context_creation_info {
    unsigned short pipe_port;
    enum lws_pipe_close_order pipe_close_order;
};

/* freertos_pipe.c: the platform pipe on two UDP sockets. */
int lws_plat_pipe_create(struct lws *wsi);
int lws_plat_pipe_signal(struct lws *wsi);
void lws_plat_pipe_close(struct lws *wsi);

/* freertos_close.c: the end of the generic wsi close path. */
void __lws_close_free_wsi_final(struct lws *wsi);

/* freertos_context.c: context lifecycle and the wait. */
struct lws_context *lws_create_context(const struct lws_context_creation_info *info);
void lws_context_destroy(struct lws_context *context);
void lws_cancel_service(struct lws_context *context);
/* Waits up to timeout_ms for the event pipe; returns the wake-ups it consumed (0 on timeout), or -1
 * when poll or recv fails. */
int lws_service(struct lws_context *context, int timeout_ms);

#endif
