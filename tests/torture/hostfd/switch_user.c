/* Kind 11: processes that drop privileges after start, as nginx workers do (setgid/setuid to nobody).
 * Without arguments: the process itself switches, then exits. Its stderr must stay the program's: no
 * tool warning about the run's directory.
 * "workers": the root master forks 2 workers; each switches to nobody, then runs 8 cycles that each
 * keep one 1000-byte block (worker_leak) and ask for a "cycle" snapshot; the master waits for them.
 * Under the tool the workers' growth must be reported: their snapshots reach the run's directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

static void *volatile kept[64];  /* volatile: the blocks must really be allocated */
static int kept_count;

__attribute__((noinline)) static void worker_leak(void) {
    char *block = malloc(1000);
    block[0] = (char)kept_count;
    kept[kept_count++] = block;
}

static int worker(void) {
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        perror("worker: drop privileges");
        return 2;
    }
    for (int cycle = 0; cycle < 8; ++cycle) {
        worker_leak();
        leakscope_snapshot("cycle");
    }
    return 0;
}

int main(int argc, char **argv) {
    if (getuid() != 0) {
        puts("not root");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "workers") == 0) {
        fflush(stdout);
        pid_t workers[2];
        for (int i = 0; i < 2; ++i)
            if ((workers[i] = fork()) == 0) exit(worker());
        int failed = 0;
        for (int i = 0; i < 2; ++i) {
            int status = 0;
            waitpid(workers[i], &status, 0);
            failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        }
        printf("workers done, %d failed\n", failed);
        return failed;
    }
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        perror("drop privileges");
        return 2;
    }
    printf("now uid %d\n", (int)getuid());
    return 0;
}
