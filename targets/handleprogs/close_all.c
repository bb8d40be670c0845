/* Does what daemons do at start: closes every fd from 3 to 1023 (one close() each, or one
 * close_range() with argument "range"), then opens a socket and takes snapshots. The tracker's own fds
 * must survive, so the snapshots are still written. Prints "socket N". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

__attribute__((noinline)) int open_after_close_all(void) { return socket(AF_INET, SOCK_STREAM, 0); }

int main(int argc, char **argv) {
    const int use_range = argc > 1 && strcmp(argv[1], "range") == 0;
    leakscope_snapshot("before-close-all");
    if (use_range) {
        close_range(3, ~0U, 0);
    } else {
        for (int fd = 3; fd < 1024; ++fd) close(fd);
    }
    const int fd = open_after_close_all();
    printf("socket %d\n", fd);
    fflush(stdout);
    leakscope_snapshot("after-close-all");
    leakscope_snapshot("after-close-all");
    return 0;
}
