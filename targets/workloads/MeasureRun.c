/* bench_measure: runs a program and reports its wall time and peak RSS, for scripts/bench.
 *
 *   bench_measure RESULT_FILE [NAME=VALUE]... PROG ARGS...
 *
 * The NAME=VALUE assignments are set in the child only, like env(1): LD_PRELOAD given this way loads
 * the tracker into PROG but not into this wrapper (which would otherwise be tracked too and write its
 * own snapshots next to PROG's).
 * Writes "wall_ns=N cpu_ns=N maxrss_kib=N exit=N" to RESULT_FILE: cpu_ns is user+system time of the
 * process tree (unlike wall time, it barely moves when other work competes for the cores); exit is the
 * exit status, or 128+signal.
 * Exits 0 when it could run PROG, 127 when it could not.
 *
 * Why a C wrapper and not Python's os.wait4: ru_maxrss survives exec, so a child forked from the
 * 17 MiB Python interpreter reports at least 17 MiB however small the program is. Forked from this
 * ~1 MiB process, the child's peak is the program's own (or its tool's: for heaptrack, the largest of
 * the target and heaptrack_interpret, since wait4's figure covers the waited-for descendants).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RESULT_FILE [NAME=VALUE]... PROG ARGS...\n", argv[0]);
        return 127;
    }
    int program = 2;
    while (program < argc && strchr(argv[program], '=')) ++program;
    if (program == argc) {
        fprintf(stderr, "bench_measure: no program to run\n");
        return 127;
    }
    long long start = monotonic_ns();
    pid_t child = fork();
    if (child < 0) {
        perror("bench_measure: fork");
        return 127;
    }
    if (child == 0) {
        for (int i = 2; i < program; ++i) putenv(argv[i]);
        execvp(argv[program], argv + program);
        perror("bench_measure: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(child, &status, 0, &usage) < 0) {
        perror("bench_measure: wait4");
        return 127;
    }
    long long wall = monotonic_ns() - start;
    int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE* result = fopen(argv[1], "w");
    if (!result) {
        perror("bench_measure: result file");
        return 127;
    }
    long long cpu = ((long long)usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL +
                    ((long long)usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
    fprintf(result, "wall_ns=%lld cpu_ns=%lld maxrss_kib=%ld exit=%d\n", wall, cpu, usage.ru_maxrss, exit_code);
    return fclose(result) == 0 ? 0 : 127;
}
