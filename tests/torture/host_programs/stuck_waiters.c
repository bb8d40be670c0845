/* A program that never ends by itself, for the test runner's hang report (ProcessRunnerTest.cpp):
   a forked child blocks in read() on a pipe, a second thread blocks on a mutex main holds (futex),
   and main waits for the child (wait4). It prints "child PID thread TID" first, so the test knows
   whom to look for. With the argument "closed" it then closes its stdout and stderr, as a process
   stuck in its exit has: the runner sees EOF on both pipes and has only the wait left.
   The child closes its copies of those and of the pipe's write end: it is left with no way to end
   but the runner's SIGKILL or its parent's end (EOF), so no stray process outlives the test. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int started[2];

static void* waitForMutex(void* unused) {
    (void)unused;
    const pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(started[1], &tid, sizeof tid) != (ssize_t)sizeof tid) return NULL;
    pthread_mutex_lock(&held);  /* main never unlocks it */
    return NULL;
}

int main(int argc, char** argv) {
    const int closed = argc > 1 && strcmp(argv[1], "closed") == 0;
    int never_written[2];
    if (pipe(never_written) != 0 || pipe(started) != 0) return 2;
    const pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
        close(never_written[1]);
        if (closed) {
            close(1);
            close(2);
        }
        char byte;
        return (int)read(never_written[0], &byte, 1);  /* 0 (EOF) once the parent is gone */
    }
    pthread_mutex_lock(&held);
    pthread_t thread;
    if (pthread_create(&thread, NULL, waitForMutex, NULL) != 0) return 2;
    pid_t tid = 0;
    if (read(started[0], &tid, sizeof tid) != (ssize_t)sizeof tid) return 2;
    printf("child %d thread %d\n", (int)child, (int)tid);
    fflush(stdout);
    if (closed) {
        close(1);
        close(2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return 1;
}
