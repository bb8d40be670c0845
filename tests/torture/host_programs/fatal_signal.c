/* Dies of a signal chosen by argv[1] after some allocations: "segv" (a write through NULL), "abort",
   "term" (kill to itself), "bus" (a sent SIGBUS), or "own-handler" (its own SIGSEGV handler, which
   must keep priority: prints and _exits 3). Core dumps are off (RLIMIT_CORE 0) so that runs leave no
   files. stdout is line-buffered text written before the death. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void ownHandler(int sig) {
    (void)sig;
    static const char text[] = "own handler ran\n";
    write(1, text, sizeof text - 1);
    _exit(3);
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    /* What the program is told about its signals' actions is part of its output. */
    struct sigaction current;
    sigaction(SIGSEGV, NULL, &current);
    printf("SIGSEGV action: %s\n", current.sa_handler == SIG_DFL ? "default" : "changed");
    char* kept = malloc(1000);
    kept[0] = 1;
    printf("about to die: %s\n", argv[1]);
    fflush(stdout);
    volatile int* nothing = NULL;
    if (!strcmp(argv[1], "segv")) *nothing = 1;
    if (!strcmp(argv[1], "abort")) abort();
    if (!strcmp(argv[1], "term")) kill(getpid(), SIGTERM);
    if (!strcmp(argv[1], "bus")) kill(getpid(), SIGBUS);
    if (!strcmp(argv[1], "own-handler")) {
        signal(SIGSEGV, ownHandler);
        *nothing = 1;
    }
    sleep(5);
    printf("still alive\n");
    return 0;
}
