/* Server side of the echo exchange: every text message received is written back unchanged. */
#include <string.h>

#include "echo_protocol.h"

static struct echo_run *echo_run_of(struct lws *wsi) {
    return (struct echo_run *)lws_context_user(lws_get_context(wsi));
}

int echo_server_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct echo_server_session *session = (struct echo_server_session *)user;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        session->length = 0;
        echo_run_of(wsi)->server_established++;
        return 0;

    case LWS_CALLBACK_RECEIVE:
        /* The client's messages are short and unfragmented; anything else is a protocol error here. */
        if (len > ECHO_MESSAGE_MAX || !lws_is_first_fragment(wsi) || !lws_is_final_fragment(wsi)) return -1;
        memcpy(session->buffer + LWS_PRE, in, len);
        session->length = len;
        lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (session->length == 0) return 0;
        if (lws_write(wsi, session->buffer + LWS_PRE, session->length, LWS_WRITE_TEXT) < (int)session->length)
            return -1;
        session->length = 0;
        return 0;

    case LWS_CALLBACK_CLOSED:
        echo_run_of(wsi)->server_closed++;
        return 0;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        echo_run_of(wsi)->cancels_seen++;
        return 0;

    default:
        /* This is protocol 0 of the vhost, so it also sees the HTTP upgrade request's reasons. */
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
