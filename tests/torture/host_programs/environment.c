/* The program's own view of its environment and every way it starts a child: its own LD_PRELOAD and
   LEAKSCOPE_* variables; execve and posix_spawn with an explicit environment; popen with its own;
   system() after clearenv(). Each child is `env` (argv[1]), so the output is what every child saw. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void printOwnView(const char* when) {
    int ours = 0;
    for (char** e = environ; e && *e; ++e)
        if (!strncmp(*e, "LEAKSCOPE_", 10) || !strncmp(*e, "LD_PRELOAD=", 11)) ++ours;
    const char* preload = getenv("LD_PRELOAD");
    printf("%s: LD_PRELOAD=%s, %d tool variables in environ\n", when, preload ? preload : "(unset)", ours);
    fflush(stdout);
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* env_program = argv[1];
    printOwnView("start");

    pid_t child = fork();
    if (child == 0) {
        char* child_argv[] = {"env", NULL};
        char* child_env[] = {"ONLY=1", NULL};
        execve(env_program, child_argv, child_env);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("--- execve status %d\n", status);

    char* spawn_argv[] = {"env", NULL};
    char* spawn_env[] = {"ONLY_SPAWN=1", NULL};
    fflush(stdout);
    if (posix_spawn(&child, env_program, NULL, NULL, spawn_argv, spawn_env) == 0) waitpid(child, &status, 0);
    printf("--- posix_spawn status %d\n", status);

    setenv("ADDED", "1", 1);
    printOwnView("after setenv");
    FILE* pipe = popen("env | grep -v '^_=' | grep -v '^SHLVL=' | grep -v '^PWD=' | sort", "r");
    char line[4096];
    size_t lines = 0, tool_lines = 0;
    while (pipe && fgets(line, sizeof line, pipe)) {
        ++lines;
        if (!strncmp(line, "LEAKSCOPE_", 10) || !strncmp(line, "LD_PRELOAD=", 11)) ++tool_lines;
    }
    printf("--- popen: %zu lines, %zu of them the tool's, status %d\n", lines, tool_lines, pipe ? pclose(pipe) : -1);

    clearenv();
    setenv("ONLY2", "1", 1);
    setenv("PATH", "/usr/bin:/bin", 1);
    printOwnView("after clearenv");
    fflush(stdout);
    int rc = system("env | grep -v '^_=' | grep -v '^SHLVL=' | grep -v '^PWD=' | sort");
    printf("--- system rc=%d\n", rc);
    return 0;
}
