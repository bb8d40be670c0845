/* A libwebsockets server context created once a cycle and destroyed only at exit (the leak of
 * issue 18): its blocks, listen socket, event pipe and /dev/urandom fd grow per cycle, all through
 * service_start's one call of lws_create_context. */
#include <leakscope/leakscope.h>
#include <libwebsockets.h>
#include <string.h>

#define CYCLES 6

static struct lws_protocols protocols[] = {{"kept", lws_callback_http_dummy, 0, 0, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

__attribute__((noinline)) static struct lws_context *service_start(void) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = 0; /* the kernel picks a free port for the default vhost's listen socket */
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    return lws_create_context(&info);
}

int main(void) {
    struct lws_context *contexts[CYCLES];
    lws_set_log_level(0, NULL);
    for (int i = 0; i < CYCLES; ++i) {
        contexts[i] = service_start();
        leakscope_snapshot("cycle");
    }
    for (int i = 0; i < CYCLES; ++i)
        if (contexts[i]) lws_context_destroy(contexts[i]);
    return 0;
}
