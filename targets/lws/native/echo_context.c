/* Making and serving the lws context that lws_native's loops use: see echo_context.h. */
#include "echo_context.h"

#include <stdio.h>
#include <string.h>

#include "../common/watchdog.h"

/* Both protocols live on the one vhost: lws picks "leakscope-echo" for the accepted connection from
 * the client's Sec-WebSocket-Protocol, and binds the client wsi to "leakscope-echo-client" through
 * local_protocol_name. The server protocol is first, so it is protocol 0 and also answers HTTP. */
static const struct lws_protocols echo_protocols[] = {
    {ECHO_PROTOCOL_NAME, echo_server_callback, sizeof(struct echo_server_session), ECHO_MESSAGE_MAX, 0, NULL, 0},
    {ECHO_CLIENT_PROTOCOL_NAME, echo_client_callback, 0, ECHO_MESSAGE_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int echo_context_create(struct echo_context *out, struct echo_run *run) {
    struct lws_context_creation_info info;
    memset(out, 0, sizeof(*out));
    memset(&info, 0, sizeof(info));
    /* The vhost is made separately so that we hold its pointer for the listen port and the client. */
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.gid = -1;
    info.uid = -1;
    info.user = run;
    out->context = lws_create_context(&info);
    if (!out->context) {
        fprintf(stderr, "lws_native: lws_create_context failed\n");
        return -1;
    }

    info.vhost_name = "leakscope-echo";
    info.iface = "127.0.0.1"; /* loopback only */
    info.port = 0;            /* the kernel picks a free port */
    info.protocols = echo_protocols;
    out->vhost = lws_create_vhost(out->context, &info);
    if (!out->vhost) {
        fprintf(stderr, "lws_native: lws_create_vhost on 127.0.0.1 failed\n");
        echo_context_destroy(out);
        return -1;
    }
    out->port = lws_get_vhost_listen_port(out->vhost);
    if (out->port <= 0) {
        fprintf(stderr, "lws_native: the vhost reports no listen port (%d)\n", out->port);
        echo_context_destroy(out);
        return -1;
    }
    return 0;
}

void echo_context_destroy(struct echo_context *echo) {
    if (echo->context) lws_context_destroy(echo->context);
    memset(echo, 0, sizeof(*echo));
}

int echo_service_until(struct echo_context *echo, const struct echo_run *run,
                       int (*finished)(const struct echo_run *run), const char *what) {
    watchdog_phase(what);
    while (!finished(run)) {
        if (run->client_failed) {
            fprintf(stderr, "lws_native: cycle %d: %s while %s\n", run->cycle, run->client_error, what);
            return -1;
        }
        /* In lws 4.1 the timeout argument is ignored: lws_service returns after it handled at least
         * one event or an internal timer; the watchdog bounds a wait that never ends. */
        if (lws_service(echo->context, 0) < 0) {
            fprintf(stderr, "lws_native: cycle %d: lws_service failed while %s\n", run->cycle, what);
            return -1;
        }
    }
    return 0;
}

static int echo_connection_closed_on_both_sides(const struct echo_run *run) {
    return run->client_failed || (run->client_closed && run->server_closed);
}

int echo_one_connection(struct echo_context *echo, struct echo_run *run, int cycle) {
    echo_run_start_connection(run, cycle);
    if (echo_client_connect(echo->context, echo->vhost, echo->port) != 0) return -1;
    if (echo_service_until(echo, run, echo_connection_closed_on_both_sides,
                           "waiting for the echo exchange and the close on both sides") != 0)
        return -1;
    if (run->client_failed || run->client_received != run->messages || run->server_established != 1) {
        fprintf(stderr, "lws_native: cycle %d: %d of %d echoes, %d server connections%s%s\n", cycle,
                run->client_received, run->messages, run->server_established, run->client_failed ? ": " : "",
                run->client_error);
        return -1;
    }
    return 0;
}
