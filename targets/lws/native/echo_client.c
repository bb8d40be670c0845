/* Client side of the echo exchange: send a message, wait for its echo, check it, repeat, then close
 * with a normal close status. */
#include <stdio.h>
#include <string.h>

#include "echo_protocol.h"

static struct echo_run *echo_run_of(struct lws *wsi) {
    return (struct echo_run *)lws_context_user(lws_get_context(wsi));
}

int echo_message_text(char *out, int cycle, int index) {
    return snprintf(out, ECHO_MESSAGE_MAX, "leakscope echo: cycle %d message %d", cycle, index);
}

void echo_run_start_connection(struct echo_run *run, int cycle) {
    run->cycle = cycle;
    run->client_sent = 0;
    run->client_received = 0;
    run->client_closed = 0;
    run->client_failed = 0;
    run->client_error[0] = '\0';
    run->server_established = 0;
    run->server_closed = 0;
}

static int echo_client_fail(struct echo_run *run, const char *what, const void *detail, size_t detail_length) {
    run->client_failed = 1;
    snprintf(run->client_error, sizeof(run->client_error), "%s%s%.*s", what, detail ? ": " : "",
             detail ? (int)detail_length : 0, detail ? (const char *)detail : "");
    return -1;
}

static int echo_client_send_next(struct lws *wsi, struct echo_run *run) {
    unsigned char buffer[LWS_PRE + ECHO_MESSAGE_MAX];
    int length = echo_message_text((char *)buffer + LWS_PRE, run->cycle, run->client_sent);
    if (lws_write(wsi, buffer + LWS_PRE, (size_t)length, LWS_WRITE_TEXT) < length)
        return echo_client_fail(run, "lws_write of a client message failed", NULL, 0);
    run->client_sent++;
    return 0;
}

int echo_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)user;
    struct echo_run *run;
    char expected[ECHO_MESSAGE_MAX];

    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        run = echo_run_of(wsi);
        if (run->client_received == run->messages) {
            /* All echoes are back: close with a normal close frame (returning -1 after
             * lws_close_reason sends it and waits for the server's reply). */
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        if (run->client_sent == run->client_received) return echo_client_send_next(wsi, run);
        return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
        run = echo_run_of(wsi);
        int expected_length = echo_message_text(expected, run->cycle, run->client_received);
        if (len != (size_t)expected_length || memcmp(in, expected, len) != 0)
            return echo_client_fail(run, "unexpected echo", in, len);
        run->client_received++;
        lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        echo_client_fail(echo_run_of(wsi), "connection error", in, in ? strlen((const char *)in) : 0);
        return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
        echo_run_of(wsi)->client_closed = 1;
        return 0;

    default:
        return 0;
    }
}

int echo_client_connect(struct lws_context *context, struct lws_vhost *vhost, int port) {
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof(info));
    info.context = context;
    info.vhost = vhost;
    info.address = "127.0.0.1";
    info.port = port;
    info.path = "/";
    info.host = "127.0.0.1";
    info.origin = "127.0.0.1";
    info.protocol = ECHO_PROTOCOL_NAME;              /* asked of the server */
    info.local_protocol_name = ECHO_CLIENT_PROTOCOL_NAME; /* our own callback */
    info.ietf_version_or_minus_one = -1;
    if (!lws_client_connect_via_info(&info)) {
        fprintf(stderr, "lws_native: lws_client_connect_via_info to 127.0.0.1:%d failed\n", port);
        return -1;
    }
    return 0;
}
