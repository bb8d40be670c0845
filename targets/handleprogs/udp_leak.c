/* The bug the issue describes: every cycle opens a UDP socket, loses its fd (overwritten with -1)
 * and then "closes" it: close(-1) fails with EBADF and the socket stays open. One snapshot per cycle.
 * Usage: handleprog_udp_leak [CYCLES] (default 5). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

__attribute__((noinline)) int open_status_socket(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

__attribute__((noinline)) void lose_and_close_status_socket(void) {
    int fd = open_status_socket();
    if (fd < 0) {
        perror("socket");
        exit(3);
    }
    fd = -1; /* the bug: the fd is overwritten before the close */
    close(fd);
}

int main(int argc, char **argv) {
    int cycles = argc > 1 ? atoi(argv[1]) : 5;
    if (cycles <= 0) {
        fprintf(stderr, "handleprog_udp_leak: CYCLES must be a positive number, got \"%s\"\n", argv[1]);
        return 2;
    }
    for (int cycle = 0; cycle < cycles; ++cycle) {
        lose_and_close_status_socket();
        leakscope_snapshot("cycle");
    }
    return 0;
}
