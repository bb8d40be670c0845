/* A program that runs a shell pipeline each cycle with system(): dash, the /bin/sh of Debian, calls
 * close(-1) while it sets the pipeline up. That closes nothing; the program and its shells lose no fd
 * and keep no memory per cycle, so a report over it must gate clean (the close only informs).
 * Usage: handleprog_system_shell [CYCLES] (default 6). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "leakscope/leakscope.h"

int main(int argc, char **argv) {
    int cycles = argc > 1 ? atoi(argv[1]) : 6;
    if (cycles <= 0) {
        fprintf(stderr, "handleprog_system_shell: CYCLES must be a positive number, got \"%s\"\n", argv[1]);
        return 2;
    }
    for (int cycle = 0; cycle < cycles; ++cycle) {
        /* The command built per cycle and freed: the hooks see the program allocate (evidence). */
        char *command = malloc(64);
        if (!command) return 3;
        snprintf(command, 64, "env | sort > /dev/null # cycle %d", cycle);
        int status = system(command);
        free(command);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "handleprog_system_shell: the pipeline failed (status %d)\n", status);
            return 3;
        }
        leakscope_snapshot("cycle");
    }
    return 0;
}
