/* The CI tests' program under test: eight "cycle" snapshots, then it ends as asked.
 *   ci_program [--leak] [--fail] [--crash] [--crash-early] [--libs]
 * --leak         keeps a 512-byte block and a socket per cycle (a leak the default gate fails)
 * --two-leaks    also keeps a 256-byte block per cycle from a second function with a stack as deep
 * --fail         exits 3 after a clean run (a failing test that does not leak)
 * --crash        dies of SIGSEGV after its snapshots (a crashing test that does not leak)
 * --crash-early  dies of SIGSEGV before its first snapshot
 * --libs         prints the preloaded libraries in load order, one basename a line */
#define _GNU_SOURCE
#include <leakscope/leakscope.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void *kept[64]; /* not static: the stores stay, the blocks stay reachable */

#ifdef CI_PROGRAM_REBUILT
/* Compiled in only for the "rebuilt binary" test: moves every function and changes the build-id. */
__attribute__((noinline, used)) int rebuilt_padding(int x) { return x * 7 + 3; }
#endif

__attribute__((noinline)) void keep_request_buffer(int cycle) {
    kept[cycle] = malloc(512);
    memset(kept[cycle], cycle, 512);
}

void *kept_responses[64];

__attribute__((noinline)) void keep_response_buffer(int cycle) {
    kept_responses[cycle] = malloc(256);
    memset(kept_responses[cycle], cycle, 256);
}

__attribute__((noinline)) int open_request_socket(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

__attribute__((noinline)) void handle_request(int cycle, int leak, int two_leaks) {
    char *scratch = malloc(128);
    memset(scratch, cycle, 128);
    free(scratch);
    if (leak) {
        keep_request_buffer(cycle);
        open_request_socket();
    }
    if (two_leaks) keep_response_buffer(cycle);
}

static int print_library(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size, (void)data;
    const char *slash = strrchr(info->dlpi_name, '/');
    if (*info->dlpi_name) printf("lib %s\n", slash ? slash + 1 : info->dlpi_name);
    return 0;
}

static int has(int argc, char **argv, const char *flag) {
    for (int i = 1; i < argc; ++i)
        if (strcmp(argv[i], flag) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (has(argc, argv, "--libs")) dl_iterate_phdr(print_library, NULL);
    if (has(argc, argv, "--crash-early")) raise(SIGSEGV);
    int leak = has(argc, argv, "--leak");
    for (int cycle = 0; cycle < 8; ++cycle) {
        handle_request(cycle, leak, has(argc, argv, "--two-leaks"));
        leakscope_snapshot("cycle");
    }
    if (has(argc, argv, "--crash")) raise(SIGSEGV);
    puts("done");
    return has(argc, argv, "--fail") ? 3 : 0;
}
