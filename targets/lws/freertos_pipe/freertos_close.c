/* The end of lws's generic wsi close path, as it treats the event-pipe wsi, in the two orders that
 * matter for the FreeRTOS leak. */
#include <stdlib.h>

#include "private_freertos_pipe.h"

/* On Linux the pipe wsi's socket is one of the pipe's own fds, so the close path forgets
 * dummy_pipe_fds[0] to keep lws_plat_pipe_close from closing it a second time. On FreeRTOS that
 * invalidation ran before lws_plat_pipe_close could use the value; lws_plat_pipe_close then skipped
 * the -1, and the bound UDP socket stayed open on every context destroy. The fix compiles the
 * invalidation out on FreeRTOS, so the pipe close sees and closes fd[0]. */
LWS_NOINLINE void __lws_close_free_wsi_final(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];

    if (wsi->context->pipe_close_order == LWS_PIPE_CLOSE_INVALIDATE_FIRST &&
        pt->dummy_pipe_fds[0] == wsi->desc.sockfd)
        pt->dummy_pipe_fds[0] = LWS_SOCK_INVALID;

    if (pt->pipe_wsi == wsi) {
        lws_plat_pipe_close(wsi);
        pt->pipe_wsi = NULL;
    }

    wsi->desc.sockfd = LWS_SOCK_INVALID;
    free(wsi);
}
