/* A session object opened and closed once per cycle. With --leak, closing a session forgets its
 * buffer and its socket: the kind of bug leakscope exists to catch. */
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct session {
    int socket_fd;
    char *buffer;
};

__attribute__((noinline)) static struct session *session_open(void) {
    struct session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->socket_fd = socket(AF_INET, SOCK_DGRAM, 0);
    s->buffer = malloc(4096);
    return s;
}

__attribute__((noinline)) static void session_close(struct session *s, int leak) {
    if (!leak) {
        free(s->buffer);
        if (s->socket_fd >= 0) close(s->socket_fd);
    }
    free(s);
}

int main(int argc, char **argv) {
    int leak = argc > 1 && strcmp(argv[1], "--leak") == 0;
    for (int cycle = 0; cycle < 8; ++cycle) {
        struct session *s = session_open();
        if (!s) return 1;
        memset(s->buffer, cycle, 4096);
        session_close(s, leak);
        leakscope_snapshot("cycle");
    }
    puts("done");
    return 0;
}
