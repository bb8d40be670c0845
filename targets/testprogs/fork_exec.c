/* fork + exec of a second tracked program, and a fork without exec that ends with _exit.
 *   fork_exec            parent: forks a child that execs "fork_exec exec-child", and a child that
 *                        allocates and calls _exit(0); waits for both; snapshot "parent".
 *   fork_exec exec-child allocates, snapshot "exec-child", prints whether the preload is active. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

void* g_keep[4];

__attribute__((noinline, visibility("default"))) void exec_child_allocate(void) { g_keep[0] = malloc(111); }
__attribute__((noinline, visibility("default"))) void fork_child_allocate(void) { g_keep[1] = malloc(222); }
__attribute__((noinline, visibility("default"))) void parent_allocate(void) { g_keep[2] = malloc(444); }

static int waitFor(pid_t child) {
    int status = 0;
    if (waitpid(child, &status, 0) != child) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
        exec_child_allocate();
        leakscope_snapshot("exec-child");
        printf("exec-child: preload %s\n", leakscope_active() ? "active" : "absent");
        return 0;
    }
    parent_allocate();
    fflush(stdout);
    pid_t exec_child = fork();
    if (exec_child == 0) {
        execl(argv[0], argv[0], "exec-child", (char*)NULL);
        perror("execl");
        _exit(127);
    }
    int exec_status = waitFor(exec_child);
    pid_t fork_child = fork();
    if (fork_child == 0) {
        fork_child_allocate();
        leakscope_snapshot("fork-child");
        _exit(0);
    }
    int fork_status = waitFor(fork_child);
    leakscope_snapshot("parent");
    printf("parent: exec child %d, fork child %d\n", exec_status, fork_status);
    return exec_status == 0 && fork_status == 0 ? 0 : 1;
}
