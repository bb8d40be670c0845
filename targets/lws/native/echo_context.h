/* Making and serving the lws context that lws_native's loops use. */
#ifndef LEAKSCOPE_TARGETS_LWS_ECHO_CONTEXT_H
#define LEAKSCOPE_TARGETS_LWS_ECHO_CONTEXT_H

#include "echo_protocol.h"

struct echo_context {
    struct lws_context *context;
    struct lws_vhost *vhost;
    int port; /* the listen port the kernel chose */
};

/* Creates a context whose one vhost listens on 127.0.0.1 on a kernel-chosen port and carries the
 * echo server and client protocols; `run` becomes the context's user pointer. Returns 0, or -1 with a
 * message on stderr (nothing is left allocated). */
int echo_context_create(struct echo_context *out, struct echo_run *run);

/* lws_context_destroy, and clears `echo`. */
void echo_context_destroy(struct echo_context *echo);

/* Serves the context until `finished(run)` is true. `what` names the wait for the watchdog message
 * (a string literal). Returns 0, or -1 with a message on stderr when lws_service fails or the client
 * side reports an error. The watchdog bounds the time. */
int echo_service_until(struct echo_context *echo, const struct echo_run *run,
                       int (*finished)(const struct echo_run *run), const char *what);

/* One whole connection in `cycle`: connect, exchange run->messages echoes, close, and wait until
 * both the client and the server side have seen the close. Returns 0 or -1 (message on stderr). */
int echo_one_connection(struct echo_context *echo, struct echo_run *run, int cycle);

#endif
