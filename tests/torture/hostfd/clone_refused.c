/* A program in which the snapshot helper cannot be started (lifecycle/FdTableCopy.h: "when the clone
 * is refused ... the caller does the work in place, with the fds moved high"): run plainly and under the
 * preload, and compare the output.
 *
 * usage: hostfd_clone_refused ROUNDS
 *
 * Installs, through the syscall instruction itself (no libc function, so no hook of the preload sees
 * it and the tool does not stop its snapshots as for a sandbox), a seccomp filter on every thread
 * (SECCOMP_FILTER_FLAG_TSYNC: the tool thread too) that fails clone(2) with CLONE_THREAD with EPERM
 * and allows everything else (pthread_create uses clone3). Prints what clone(CLONE_THREAD) alone then
 * gives (EPERM: the filter is on; EINVAL without it). Closes fd 0, so that 0 is the lowest free number,
 * where a file the tool opens in place lands before it is moved high. Then ROUNDS rounds of: errno set
 * to a marker, a snapshot labelled "round" (leakscope_snapshot: a no-op without the tool), errno and
 * the signal mask printed as found, data.txt opened twice (the numbers printed) and read, both closed.
 * A second thread does one round as well. Exit 0; 2 on bad usage or a failed setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

/* The fourth and fifth arguments are zero (prctl(PR_SET_NO_NEW_PRIVS) requires it). Returns -errno. */
static long raw_syscall3(long number, long first, long second, long third) {
    long result;
    register long fourth __asm__("r10") = 0;
    register long fifth __asm__("r8") = 0;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "0"(number), "D"(first), "S"(second), "d"(third), "r"(fourth), "r"(fifth)
                     : "rcx", "r11", "memory");
    return result;
}

static long refuse_thread_clones(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
        /* The flags are clone's first argument; CLONE_THREAD is in its low 32 bits (little-endian). */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof(filter) / sizeof(filter[0]), filter};
    long result = raw_syscall3(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0);
    if (result != 0) return result;
    /* TSYNC answers the id of a thread it could not synchronise: a failure too. */
    result = raw_syscall3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, (long)&program);
    return result > 0 ? -ESRCH : result;
}

/* Signal by signal: the kernel fills only the first 8 bytes of a sigset_t, and glibc's sigemptyset
 * clears no more, so a memcmp would compare stack garbage. */
static int same_mask(const sigset_t* before, const sigset_t* after) {
    for (int signal = 1; signal < 65; ++signal)
        if (sigismember(before, signal) != sigismember(after, signal)) return 0;
    return 1;
}

static void one_round(const char* who, int round) {
    sigset_t before, after;
    sigprocmask(SIG_SETMASK, NULL, &before);
    errno = 4242;
    leakscope_snapshot("round");
    int kept_errno = errno;
    sigprocmask(SIG_SETMASK, NULL, &after);
    int first = open("data.txt", O_RDONLY);
    int second = open("data.txt", O_RDONLY);
    char text[64] = {0};
    ssize_t got = read(first, text, sizeof text - 1);
    printf("%s round %d: errno %d, mask %s, fds %d %d, read %zd: %s", who, round, kept_errno,
           same_mask(&before, &after) ? "kept" : "CHANGED", first, second, got, text);
    fflush(stdout);
    close(second);
    close(first);
}

static void* thread_round(void* unused) {
    (void)unused;
    one_round("thread", 1);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 2 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: hostfd_clone_refused ROUNDS\n");
        return 2;
    }
    const int rounds = atoi(argv[1]);
    FILE* data = fopen("data.txt", "w");
    if (!data || fputs("the program's data\n", data) < 0 || fclose(data) != 0) return 2;
    const long installed = refuse_thread_clones();
    if (installed != 0) {
        fprintf(stderr, "seccomp filter not installed: %s\n", strerror((int)-installed));
        return 2;
    }
    /* CLONE_THREAD without CLONE_SIGHAND: the kernel would refuse it with EINVAL, the filter first. */
    long refused = raw_syscall3(__NR_clone, CLONE_THREAD, 0, 0);
    printf("clone(CLONE_THREAD): %s\n", refused == -EPERM ? "EPERM" : refused == -EINVAL ? "EINVAL" : "other");
    close(0);
    for (int round = 1; round <= rounds; ++round) one_round("main", round);
    pthread_t thread;
    if (pthread_create(&thread, NULL, thread_round, NULL) != 0) return 2;
    pthread_join(thread, NULL);
    return 0;
}
