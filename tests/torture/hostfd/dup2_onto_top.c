/* The dup2 rule of kind 1: the program dup2()s and dup3()s onto the top numbers of its fd range, where
 * the tool keeps its own fds, while snapshots are taken. Every call must succeed as in a plain run (never
 * EBUSY) and the fd must then be the program's: what it writes through it reaches its stdout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

int main(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    long top = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > 65536 ? 65536 : (long)limit.rlim_cur;
    fflush(stdout);
    for (int round = 0; round < 3; ++round) {
        leakscope_snapshot("before");
        for (long target = top - 1; target >= top - 4; --target) {
            int result = round % 2 ? dup3(1, (int)target, O_CLOEXEC) : dup2(1, (int)target);
            if (result != target) {
                printf("dup onto top-%ld: %s\n", top - target, strerror(errno));
                continue;
            }
            char line[64];
            int length = snprintf(line, sizeof(line), "round %d written through top-%ld\n", round, top - target);
            if (write(result, line, (size_t)length) != length) printf("write through top-%ld failed\n", top - target);
            if (close(result) != 0) printf("close of top-%ld: %s\n", top - target, strerror(errno));
        }
    }
    leakscope_snapshot("after");
    return 0;
}
