/* Processes that the preload follows but that cannot leave a final snapshot (issue 16, kinds 8 and
 * 11; docs/architecture.md, "Process records"). One program, one mode per way to end unjudged:
 *   raw-setuid      (root only) forks a worker that switches to uid/gid 65534 through the raw
 *                   syscall(SYS_setresuid, ...), which the setuid hooks do not see: it cannot write into
 *                   the run's 0700 directory any more. The worker allocates, prints its pid and exits 0.
 *   launch-sandboxed PROG ARGS...  installs a seccomp filter that allows every call but acct(2) (which
 *                   fails with EPERM) and execs PROG under it, as systemd's SystemCallFilter= would.
 *   cycles          8 cycles, each keeping a 1000-byte block (leak_per_cycle) and asking for a `cycle`
 *                   snapshot; prints "cycles done".
 *   killed-child    forks a child that allocates, prints its pid and kills itself with SIGKILL; the
 *                   parent reports how the child ended and exits 0.
 * Each prints the same with and without the preload. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

static void *volatile kept[64];

static int wait_for(pid_t child) {
    int status = 0;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return status;
}

static int raw_setuid(void) {
    pid_t child = fork();
    if (child == 0) {
        if (syscall(SYS_setresgid, 65534, 65534, 65534) || syscall(SYS_setresuid, 65534, 65534, 65534)) {
            perror("setresuid");
            _exit(2);
        }
        kept[0] = malloc(2000);
        printf("worker %d switched to uid %d\n", (int)getpid(), (int)geteuid());
        fflush(stdout);
        exit(0);
    }
    int status = wait_for(child);
    printf("worker ended with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static int launch_sandboxed(char **program) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_acct, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("seccomp");
        return 2;
    }
    printf("launcher %d execs under its filter\n", (int)getpid());
    fflush(stdout);
    execv(program[0], program);
    perror("execv");
    return 2;
}

/* Writes into the block so that the call to malloc is no tail call: this frame stays on the stack. */
__attribute__((noinline)) static void *leak_per_cycle(void) {
    char *block = malloc(1000);
    if (block) block[0] = 1;
    return block;
}

static int cycles(void) {
    for (int i = 0; i < 8; ++i) {
        kept[i] = leak_per_cycle();
        leakscope_snapshot("cycle");
    }
    printf("cycles done\n");
    return 0;
}

static int killed_child(void) {
    pid_t child = fork();
    if (child == 0) {
        kept[0] = malloc(3000);
        printf("child %d kills itself\n", (int)getpid());
        fflush(stdout);
        raise(SIGKILL);
        _exit(3);
    }
    int status = wait_for(child);
    printf("child ended by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "raw-setuid")) return raw_setuid();
    if (argc > 2 && !strcmp(argv[1], "launch-sandboxed")) return launch_sandboxed(argv + 2);
    if (argc > 1 && !strcmp(argv[1], "cycles")) return cycles();
    if (argc > 1 && !strcmp(argv[1], "killed-child")) return killed_child();
    fprintf(stderr, "usage: %s raw-setuid | launch-sandboxed PROG ARGS... | cycles | killed-child\n", argv[0]);
    return 2;
}
