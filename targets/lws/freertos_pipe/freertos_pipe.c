/* The FreeRTOS platform pipe on Linux sockets: lwIP has no pipe(), so lws binds a UDP socket (fd[0])
 * on 127.0.0.1 and wakes its wait by sending one byte to it from a second UDP socket (fd[1]). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private_freertos_pipe.h"

LWS_NOINLINE int lws_plat_pipe_create(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    struct sockaddr_in *si = &wsi->context->frt_pipe_si;
    int *fd = pt->dummy_pipe_fds;
    const char *step = "socket for fd[0]";

    fd[0] = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd[0] < 0) goto bail;

    step = "socket for fd[1]";
    fd[1] = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd[1] < 0) goto bail;

    /* The address lives in the context so that lws_plat_pipe_signal can reuse it. */
    memset(si, 0, sizeof(*si));
    si->sin_family = AF_INET;
    si->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    si->sin_port = htons(wsi->context->pipe_port);

    step = "bind";
    if (bind(fd[0], (const struct sockaddr *)si, sizeof(*si)) < 0) goto bail;

    /* Port 0 (this port's addition): learn the port the kernel chose, for the signal's sendto. */
    step = "getsockname";
    socklen_t length = sizeof(*si);
    if (wsi->context->pipe_port == 0 && getsockname(fd[0], (struct sockaddr *)si, &length) < 0) goto bail;

    return 0;

bail:
    /* The original logs "lws_plat_pipe_create: failed"; this says which step and why. */
    fprintf(stderr, "lws_plat_pipe_create: %s 127.0.0.1:%u failed: %s\n", step, (unsigned)wsi->context->pipe_port,
            strerror(errno));
    return 1;
}

LWS_NOINLINE int lws_plat_pipe_signal(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    struct sockaddr_in *si = &wsi->context->frt_pipe_si;
    uint8_t byte = 0;

    ssize_t n = sendto(pt->dummy_pipe_fds[1], &byte, 1, 0, (const struct sockaddr *)si, sizeof(*si));
    return n != 1;
}

/* Closes each end that is still valid, then forgets both: an end already set to -1 is skipped. */
LWS_NOINLINE void lws_plat_pipe_close(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    int *fd = pt->dummy_pipe_fds;

    if (fd[0] && fd[0] != -1) close(fd[0]);
    if (fd[1] && fd[1] != -1) close(fd[1]);

    fd[0] = fd[1] = -1;
}
