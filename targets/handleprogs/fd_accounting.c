/* Scenarios where fd bookkeeping is easy to get wrong, one per mode (argv[1]):
 *   dup2      dup2 onto an open fd closes it implicitly          prints "dup2 SOURCE TARGET"
 *   reuse     a closed fd number reused is a new record; then a double close   prints "reuse FD"
 *   exec      O_CLOEXEC / FD_CLOEXEC fds vanish across exec, the others are inherited
 *             prints "exec KEPT CLOEXEC SETFD"; the exec'd image (mode exec-child) snapshots "after-exec"
 *   fork      a forked child sees the parent's handles as inherited     prints "fork FD"
 * Snapshots are labelled after the step they follow. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

__attribute__((noinline)) int open_dup_source(void) { return open("/dev/null", O_RDONLY); }
__attribute__((noinline)) int open_dup_target(void) { return socket(AF_INET, SOCK_DGRAM, 0); }
__attribute__((noinline)) int redirect_with_dup2(int source, int target) { return dup2(source, target); }

__attribute__((noinline)) int open_first_user(void) { return open("/dev/null", O_RDONLY); }
__attribute__((noinline)) int open_second_user(void) { return socket(AF_UNIX, SOCK_DGRAM, 0); }
__attribute__((noinline)) void close_twice(int fd) {
    close(fd);
    close(fd);
}

__attribute__((noinline)) int open_kept_across_exec(void) { return open("/dev/null", O_RDONLY); }
__attribute__((noinline)) int open_cloexec(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }
__attribute__((noinline)) int open_then_set_cloexec(void) {
    int fd = open("/dev/null", O_RDONLY);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

__attribute__((noinline)) int open_before_fork(void) { return socket(AF_INET, SOCK_STREAM, 0); }

__attribute__((format(printf, 1, 2))) static void flush_line(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vprintf(format, arguments);
    va_end(arguments);
    fflush(stdout);
}

static int run_dup2(void) {
    leakscope_snapshot("start");
    int source = open_dup_source();
    int target = open_dup_target();
    if (redirect_with_dup2(source, target) != target) return 3;
    flush_line("dup2 %d %d\n", source, target);
    leakscope_snapshot("after-dup2");
    close(target);
    close(source);
    leakscope_snapshot("closed");
    return 0;
}

static int run_reuse(void) {
    int first = open_first_user();
    close(first);
    int second = open_second_user();
    if (second != first) return 3; /* the kernel hands out the lowest free number */
    flush_line("reuse %d\n", second);
    leakscope_snapshot("reused");
    close_twice(second);
    leakscope_snapshot("double-closed");
    return 0;
}

static int run_exec(const char *self) {
    int kept = open_kept_across_exec(), cloexec = open_cloexec(), setfd = open_then_set_cloexec();
    flush_line("exec %d %d %d\n", kept, cloexec, setfd);
    leakscope_snapshot("before-exec");
    execl(self, self, "exec-child", (char *)NULL);
    perror("execl");
    return 3;
}

static int run_fork(void) {
    int fd = open_before_fork();
    flush_line("fork %d\n", fd);
    pid_t child = fork();
    if (child == 0) {
        leakscope_snapshot("child");
        exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    leakscope_snapshot("parent");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "dup2") == 0) return run_dup2();
    if (strcmp(mode, "reuse") == 0) return run_reuse();
    if (strcmp(mode, "exec") == 0) return run_exec("/proc/self/exe");
    if (strcmp(mode, "exec-child") == 0) {
        leakscope_snapshot("after-exec");
        return 0;
    }
    if (strcmp(mode, "fork") == 0) return run_fork();
    fprintf(stderr, "handleprog_fd_accounting: unknown mode \"%s\" (dup2, reuse, exec, fork)\n", mode);
    return 2;
}
