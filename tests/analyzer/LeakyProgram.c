/* End-to-end target: each "cycle" leaks one 256-byte block from leak_per_cycle() and one UDP socket
 * from open_socket_per_cycle(); a cache fills once. Usage: analyzer_leaky_program [CYCLES] */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "leakscope/leakscope.h"

/* Not static: the compiler may not drop stores nobody reads, so the leak stays in the program. */
void *kept[1000];
void *cache;

__attribute__((noinline)) void leak_per_cycle(int cycle) {
    kept[cycle] = malloc(256);
    memset(kept[cycle], cycle, 256);
}

__attribute__((noinline)) int open_socket_per_cycle(void) { return socket(AF_INET, SOCK_DGRAM, 0); }

__attribute__((noinline)) void fill_cache_once(void) {
    if (!cache) cache = calloc(1, 4096);
}

int main(int argc, char **argv) {
    int cycles = argc > 1 ? atoi(argv[1]) : 8;
    if (cycles < 1 || cycles > 1000) cycles = 8;
    for (int cycle = 0; cycle < cycles; ++cycle) {
        leak_per_cycle(cycle);
        open_socket_per_cycle();
        fill_cache_once();
        leakscope_snapshot("cycle");
    }
    return 0;
}
