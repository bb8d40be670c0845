/* The end of lws's generic wsi close path (lib/core-net/close.c), as it treats the event-pipe wsi:
 * the first of the two steps of the FreeRTOS leak. */
#include <stdlib.h>

#include "lwip_sockets.h"
#include "private_freertos_pipe.h"

/* Since b486c2b54 (2024-09) the pipe's fds are not closed here: only lws_pt_destroy's pipe close may
 * close them. But this function still forgot dummy_pipe_fds[0] when it equalled the wsi's socket, a
 * step meant for platforms whose pipe close no longer needs it. On FreeRTOS the forgotten fd[0] is
 * exactly what lws_plat_pipe_close needed later; the fix (e7f9545d0, 2025-03) keeps the value there. */
LWS_NOINLINE void __lws_close_free_wsi_final(struct lws *wsi) {
    struct lws_context *context = wsi->context;
    struct lws_context_per_thread *pt = &context->pt[wsi->tsi];

    if (wsi->desc.sockfd != LWS_SOCK_INVALID &&
        !lws_plat_pipe_is_fd_assocated(context, wsi->tsi, wsi->desc.sockfd))
        lwip_close(wsi->desc.sockfd); /* any other wsi: the real close */

    if (pt->pipe_wsi == wsi) pt->pipe_wsi = NULL;
    if (pt->dummy_pipe_fds[0] == wsi->desc.sockfd &&
        context->pipe_fd_invalidation == LWS_PIPE_FD0_INVALIDATED)
        pt->dummy_pipe_fds[0] = LWS_SOCK_INVALID;

    wsi->desc.sockfd = LWS_SOCK_INVALID;
    free(wsi);
}
