/* The WebSocket echo exchange that lws_native runs over loopback with Debian's libwebsockets.
 *
 * One context plays both sides: a vhost listens on 127.0.0.1 (kernel-chosen port) with the server
 * protocol "leakscope-echo", and a client connection made through the same vhost binds to the local
 * protocol "leakscope-echo-client". The client sends `messages` text messages one at a time, checks
 * each echo, then closes normally. Both callbacks record progress in one `echo_run`, reachable from
 * any wsi through the context's user pointer, so the service loop can wait on plain counters. */
#ifndef LEAKSCOPE_TARGETS_LWS_ECHO_PROTOCOL_H
#define LEAKSCOPE_TARGETS_LWS_ECHO_PROTOCOL_H

#include <libwebsockets.h>

#define ECHO_PROTOCOL_NAME "leakscope-echo"
#define ECHO_CLIENT_PROTOCOL_NAME "leakscope-echo-client"
#define ECHO_MESSAGE_MAX 128

struct echo_run {
    int messages; /* per connection */
    int cycle;    /* 1-based, part of every message so that a stale echo is noticed */

    /* Client side of the current connection. */
    int client_sent;
    int client_received;
    int client_closed;
    int client_failed;
    char client_error[160];

    /* Server side of the current connection. */
    int server_established;
    int server_closed;

    /* LWS_CALLBACK_EVENT_WAIT_CANCELLED deliveries since the context was made (server protocol only,
     * because lws broadcasts it to every protocol of every vhost). */
    int cancels_seen;
};

/* Per-connection storage lws allocates for the server protocol. One message is in flight at a time
 * (the client waits for each echo), so one buffer with LWS_PRE headroom suffices. */
struct echo_server_session {
    unsigned char buffer[LWS_PRE + ECHO_MESSAGE_MAX];
    size_t length;
};

/* Protocol table entries (see echo_server.c, echo_client.c). */
int echo_server_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int echo_client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/* Writes the text of message `index` (0-based) of `cycle` into `out` (ECHO_MESSAGE_MAX bytes);
 * returns its length. Client and checks share it so both sides agree on the bytes. */
int echo_message_text(char *out, int cycle, int index);

/* Clears the per-connection fields before the next connection of `cycle`. */
void echo_run_start_connection(struct echo_run *run, int cycle);

/* Starts a client connection to 127.0.0.1:port through `vhost`. Returns 0, or -1 with a message on
 * stderr when lws refuses to start it. */
int echo_client_connect(struct lws_context *context, struct lws_vhost *vhost, int port);

#endif
