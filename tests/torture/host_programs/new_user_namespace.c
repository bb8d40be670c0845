/* unshare(CLONE_NEWUSER) needs a single-threaded process (EINVAL otherwise): through libc and through
   syscall(2), in two forked children, so that each starts from the same state. Prints each result. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void tryIn(const char* how, int through_syscall) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        long result = through_syscall ? syscall(SYS_unshare, CLONE_NEWUSER) : unshare(CLONE_NEWUSER);
        printf("%s: %s\n", how, result == 0 ? "ok" : strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
}

int main(void) {
    char* state = malloc(100);
    long result = unshare(CLONE_NEWUSER);
    printf("unshare: %s\n", result == 0 ? "ok" : strerror(errno));
    tryIn("unshare in a child", 0);
    tryIn("syscall(SYS_unshare) in a child", 1);
    free(state);
    return 0;
}
