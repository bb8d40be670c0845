/* A daemon none of whose threads is runnable, for `leakscope attach` (tests/attach): like redis-server
 * at rest, whose bio_* threads wait on condition variables that nothing signals.
 *
 * usage: attach_blocked_daemon epoll|join|ptexit
 *
 * Three threads wait in pthread_cond_wait (futex) forever; a fourth, the waker, in sem_wait (futex).
 * The main thread waits in epoll_wait on an idle pipe (epoll: retried on EINTR, as redis' event loop
 * does) or in pthread_join of the waker (join: then every thread is in futex). SIGUSR1 posts the
 * semaphore (sem_post is async-signal-safe): the waker prints "pong" and writes to the pipe, and the
 * daemon exits 0. ptexit: the main thread calls pthread_exit (ps shows the process as a zombie, "Zl",
 * while its threads run on), and the waker exits the process. Prints "ready PID" once its threads are
 * started.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <errno.h>

static sem_t wake;
static int exit_after_pong;  /* ptexit: nothing else would end the process */
static int wake_pipe[2];
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_condition = PTHREAD_COND_INITIALIZER;

static void on_usr1(int signal_number) {
    (void)signal_number;
    sem_post(&wake);
}

static void* idle_worker(void* unused) {
    (void)unused;
    pthread_mutex_lock(&idle_lock);
    for (;;) pthread_cond_wait(&idle_condition, &idle_lock);
    return NULL;
}

static void* waker(void* unused) {
    (void)unused;
    while (sem_wait(&wake) != 0) {
    }
    printf("pong\n");
    fflush(stdout);
    if (write(wake_pipe[1], "x", 1) != 1) return NULL;
    if (exit_after_pong) exit(0);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 2 || (strcmp(argv[1], "epoll") != 0 && strcmp(argv[1], "join") != 0 && strcmp(argv[1], "ptexit") != 0)) {
        fprintf(stderr, "usage: attach_blocked_daemon epoll|join|ptexit\n");
        return 2;
    }
    exit_after_pong = strcmp(argv[1], "ptexit") == 0;
    if (sem_init(&wake, 0, 0) != 0 || pipe(wake_pipe) != 0) return 2;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, NULL);
    pthread_t threads[4];
    for (int i = 0; i < 3; ++i) pthread_create(&threads[i], NULL, idle_worker, NULL);
    pthread_create(&threads[3], NULL, waker, NULL);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    if (strcmp(argv[1], "join") == 0) return pthread_join(threads[3], NULL) == 0 ? 0 : 2;
    if (exit_after_pong) pthread_exit(NULL);
    int poller = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN};
    if (poller < 0 || epoll_ctl(poller, EPOLL_CTL_ADD, wake_pipe[0], &event) != 0) return 2;
    for (;;) {
        struct epoll_event ready;
        int count = epoll_wait(poller, &ready, 1, -1);
        if (count == 1) return 0;
        if (count < 0 && errno != EINTR) return 2;
    }
}
