/* The FreeRTOS platform pipe on Linux sockets: lwIP has no pipe(), so lws binds a UDP socket (fd[0])
 * on 127.0.0.1, port 0 (lwIP picks a free one, read back with getsockname), and wakes its wait by
 * sending one byte to it from a second UDP socket (fd[1]). Both come from lwIP's socket table. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lwip_sockets.h"
#include "private_freertos_pipe.h"

LWS_NOINLINE int lws_plat_pipe_create(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    struct sockaddr_in *si = &wsi->context->frt_pipe_si;
    int *fd = pt->dummy_pipe_fds;
    const char *step = "socket for fd[0]";

    fd[0] = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd[0] < 0) goto bail;

    step = "socket for fd[1]";
    fd[1] = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (fd[1] < 0) goto bail;

    memset(si, 0, sizeof(*si));
    si->sin_family = AF_INET;
    si->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    si->sin_port = 0;

    step = "bind 127.0.0.1:0";
    if (bind(fd[0], (const struct sockaddr *)si, sizeof(*si)) < 0) goto bail;

    /* The address the signal must send to, with the port the stack chose. */
    step = "getsockname";
    socklen_t length = sizeof(*si);
    if (getsockname(fd[0], (struct sockaddr *)si, &length) < 0) goto bail;

    return 0;

bail:
    /* Upstream only logs that the pipe failed; this says which step, why, and how full lwIP's table is.
     * The fds made so far stay in dummy_pipe_fds: the failed context's destroy closes them. */
    fprintf(stderr, "lws_plat_pipe_create: %s failed: %s (lwIP socket table: %d of %d slots in use)\n", step,
            strerror(errno), lwip_socket_table_in_use(), lwip_socket_table_slots());
    return 1;
}

LWS_NOINLINE int lws_plat_pipe_signal(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    struct sockaddr_in *si = &wsi->context->frt_pipe_si;
    uint8_t byte = 0;

    ssize_t n = sendto(pt->dummy_pipe_fds[1], &byte, 1, 0, (const struct sockaddr *)si, sizeof(*si));
    return n != 1;
}

/* Closes each end that is still valid, then forgets both: an end already set to -1 is skipped, so
 * after the pre-fix close path only fd[1] is closed here. */
LWS_NOINLINE void lws_plat_pipe_close(struct lws *wsi) {
    struct lws_context_per_thread *pt = &wsi->context->pt[wsi->tsi];
    int *fd = pt->dummy_pipe_fds;

    if (fd[0] != LWS_SOCK_INVALID) lwip_close(fd[0]);
    if (fd[1] != LWS_SOCK_INVALID) lwip_close(fd[1]);

    fd[0] = fd[1] = LWS_SOCK_INVALID;
}

int lws_plat_pipe_is_fd_assocated(struct lws_context *context, int tsi, int fd) {
    const struct lws_context_per_thread *pt = &context->pt[tsi];
    return fd != LWS_SOCK_INVALID && (fd == pt->dummy_pipe_fds[0] || fd == pt->dummy_pipe_fds[1]);
}
