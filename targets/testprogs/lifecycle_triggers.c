/* Snapshot triggers other than the API, chosen by argv[1]:
 *   external DIR   writes DIR/.request-<pid> with a label, sends itself the request signal, and
 *                  reports whether the request file was consumed
 *   interval MS    allocates for MS milliseconds (LEAKSCOPE_INTERVAL_MS does the snapshots)
 *   underscore-exit  leaves a block live and ends with _exit(3) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void* g_keep;

__attribute__((noinline, visibility("default"))) void trigger_keep_block(size_t size) { g_keep = malloc(size); }

static long elapsedMs(const struct timespec* start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int requestExternal(const char* directory) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/.request-%d", directory, (int)getpid());
    FILE* request = fopen(path, "w");
    if (!request) {
        perror(path);
        return 1;
    }
    fputs("poked\n", request);
    fclose(request);
    trigger_keep_block(77);
    raise(SIGRTMIN + 7);
    int consumed = access(path, F_OK) != 0;
    printf("request file %s\n", consumed ? "consumed" : "left");
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 2 && strcmp(argv[1], "external") == 0) return requestExternal(argv[2]);
    if (argc > 2 && strcmp(argv[1], "interval") == 0) {
        long duration = atol(argv[2]);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (elapsedMs(&start) < duration) {
            free(malloc(100));
            struct timespec pause = {0, 2000000};
            nanosleep(&pause, NULL);
        }
        printf("ran %ld ms\n", duration);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "underscore-exit") == 0) {
        trigger_keep_block(99);
        printf("calling _exit(3)\n");
        fflush(stdout);
        _exit(3);
    }
    fprintf(stderr, "usage: %s external DIR | interval MS | underscore-exit\n", argv[0]);
    return 2;
}
