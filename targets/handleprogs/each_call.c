/* Opens one handle with the call named on the command line, takes a snapshot ("opened"), closes it,
 * takes another ("closed"). Prints "fds A B" (B is -1 for calls that make one fd) so that the test
 * knows which fds to look for. Every opener is its own noinline function named open_by_<call>: the
 * test expects that name in the handle's stack. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

/* glibc's checked open, what _FORTIFY_SOURCE builds call instead of open. */
extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat_2(int directory_fd, const char *path, int flags);
extern int __openat64_2(int directory_fd, const char *path, int flags);

static int subject[2] = {-1, -1}; /* the fds the opener made */
static FILE *subject_stream;
static DIR *subject_directory;
static int listener = -1, connector = -1, source = -1; /* helpers made before the opener runs */

static void connect_pair(void) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "leakscope-handleprog-%d", (int)getpid());
    socklen_t length = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(address.sun_path + 1);
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    connector = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&address, length) != 0 || listen(listener, 1) != 0 ||
        connect(connector, (struct sockaddr *)&address, length) != 0) {
        perror("handleprog_each_call: unix socket setup");
        exit(3);
    }
}

__attribute__((noinline)) void open_by_socket(void) { subject[0] = socket(AF_INET, SOCK_DGRAM, 0); }
__attribute__((noinline)) void open_by_socketpair(void) { socketpair(AF_UNIX, SOCK_STREAM, 0, subject); }
__attribute__((noinline)) void open_by_accept(void) { subject[0] = accept(listener, NULL, NULL); }
__attribute__((noinline)) void open_by_accept4(void) { subject[0] = accept4(listener, NULL, NULL, SOCK_CLOEXEC); }
__attribute__((noinline)) void open_by_pipe(void) { pipe(subject); }
__attribute__((noinline)) void open_by_pipe2(void) { pipe2(subject, O_CLOEXEC); }
__attribute__((noinline)) void open_by_open(void) { subject[0] = open("/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by_open64(void) { subject[0] = open64("/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by_openat(void) { subject[0] = openat(AT_FDCWD, "/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by_openat64(void) { subject[0] = openat64(AT_FDCWD, "/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by___open_2(void) { subject[0] = __open_2("/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by___open64_2(void) { subject[0] = __open64_2("/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by___openat_2(void) { subject[0] = __openat_2(AT_FDCWD, "/dev/null", O_RDONLY); }
__attribute__((noinline)) void open_by___openat64_2(void) {
    subject[0] = __openat64_2(AT_FDCWD, "/dev/null", O_RDONLY);
}

static void scratch_path(char *path, size_t size) {
    snprintf(path, size, "/tmp/leakscope-handleprog-%d", (int)getpid());
}
__attribute__((noinline)) void open_by_creat(void) {
    char path[64];
    scratch_path(path, sizeof(path));
    subject[0] = creat(path, 0600);
    unlink(path);
}
__attribute__((noinline)) void open_by_creat64(void) {
    char path[64];
    scratch_path(path, sizeof(path));
    subject[0] = creat64(path, 0600);
    unlink(path);
}
__attribute__((noinline)) void open_by_dup(void) { subject[0] = dup(source); }
__attribute__((noinline)) void open_by_dup2(void) { subject[0] = dup2(source, 40); }
__attribute__((noinline)) void open_by_dup3(void) { subject[0] = dup3(source, 41, O_CLOEXEC); }
__attribute__((noinline)) void open_by_fcntl(void) { subject[0] = fcntl(source, F_DUPFD_CLOEXEC, 50); }
__attribute__((noinline)) void open_by_eventfd(void) { subject[0] = eventfd(0, EFD_CLOEXEC); }
__attribute__((noinline)) void open_by_epoll_create(void) { subject[0] = epoll_create(1); }
__attribute__((noinline)) void open_by_epoll_create1(void) { subject[0] = epoll_create1(EPOLL_CLOEXEC); }
__attribute__((noinline)) void open_by_timerfd_create(void) { subject[0] = timerfd_create(CLOCK_MONOTONIC, 0); }
__attribute__((noinline)) void open_by_signalfd(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    subject[0] = signalfd(-1, &mask, 0);
}
__attribute__((noinline)) void open_by_inotify_init(void) { subject[0] = inotify_init(); }
__attribute__((noinline)) void open_by_inotify_init1(void) { subject[0] = inotify_init1(IN_CLOEXEC); }
__attribute__((noinline)) void open_by_memfd_create(void) { subject[0] = memfd_create("handleprog-memfd", 0); }
__attribute__((noinline)) void open_by_fopen(void) { subject_stream = fopen("/dev/null", "r"); }
__attribute__((noinline)) void open_by_fopen64(void) { subject_stream = fopen64("/dev/null", "re"); }
__attribute__((noinline)) void open_by_freopen(void) {
    subject_stream = freopen("/dev/zero", "r", fopen("/dev/null", "r"));
}
__attribute__((noinline)) void open_by_fdopen(void) { subject_stream = fdopen(open("/dev/null", O_RDONLY), "r"); }
__attribute__((noinline)) void open_by_opendir(void) { subject_directory = opendir("/"); }
__attribute__((noinline)) void open_by_fdopendir(void) {
    subject_directory = fdopendir(open("/", O_RDONLY | O_DIRECTORY));
}

struct opener {
    const char *call;
    void (*open)(void);
};
#define OPENER(call) {#call, open_by_##call}
static const struct opener openers[] = {
    OPENER(socket), OPENER(socketpair), OPENER(accept), OPENER(accept4), OPENER(pipe), OPENER(pipe2),
    OPENER(open), OPENER(open64), OPENER(openat), OPENER(openat64), OPENER(__open_2), OPENER(__open64_2),
    OPENER(__openat_2), OPENER(__openat64_2), OPENER(creat), OPENER(creat64),
    OPENER(dup), OPENER(dup2), OPENER(dup3), OPENER(fcntl), OPENER(eventfd), OPENER(epoll_create),
    OPENER(epoll_create1), OPENER(timerfd_create), OPENER(signalfd), OPENER(inotify_init),
    OPENER(inotify_init1), OPENER(memfd_create), OPENER(fopen), OPENER(fopen64), OPENER(freopen),
    OPENER(fdopen), OPENER(opendir), OPENER(fdopendir),
};

int main(int argc, char **argv) {
    const struct opener *chosen = NULL;
    for (size_t i = 0; argc == 2 && i < sizeof(openers) / sizeof(openers[0]); ++i)
        if (strcmp(argv[1], openers[i].call) == 0) chosen = &openers[i];
    if (!chosen) {
        fprintf(stderr, "handleprog_each_call: usage: handleprog_each_call CALL (socket, pipe, fopen...)\n");
        return 2;
    }
    if (strncmp(chosen->call, "accept", 6) == 0) connect_pair();
    source = open("/dev/null", O_RDONLY);

    chosen->open();
    if (subject_stream) subject[0] = fileno(subject_stream);
    if (subject_directory) subject[0] = dirfd(subject_directory);
    if (subject[0] < 0) {
        perror(chosen->call);
        return 3;
    }
    printf("fds %d %d\n", subject[0], subject[1]);
    fflush(stdout);
    leakscope_snapshot("opened");

    if (subject_stream) {
        fclose(subject_stream);
    } else if (subject_directory) {
        closedir(subject_directory);
    } else {
        close(subject[0]);
        if (subject[1] >= 0) close(subject[1]);
    }
    leakscope_snapshot("closed");

    close(source);
    if (listener >= 0) close(listener);
    if (connector >= 0) close(connector);
    return 0;
}
