/* A daemon started WITHOUT leakscope, for `leakscope attach` (tests/attach, scripts/bench).
 *
 * usage: attach_daemon DATA_FILE STOP_FILE PERIOD_MS [LEAK]
 *
 * Serves one "request" every PERIOD_MS until STOP_FILE exists, then writes "done N" and exits 0. A
 * request builds a response (allocated and freed), opens and closes /dev/null, and appends one line
 * "request N fd F sum S released R" to DATA_FILE: the fd number open() gave, a checksum of the
 * response (a function of N alone), and how many of its early blocks it has released. With LEAK=1
 * every request also keeps a 128-byte session record in remember_session() (never freed): the leak
 * an attach must name.
 * Before the first request it makes 64 blocks, 64 more it will resize, and a pipe. Once the file
 * STOP_FILE.release exists, each request frees one early block and resizes one (blocks allocated
 * before an attach: silent under it), and the 10th such request closes the pipe (an fd opened before
 * the attach). Prints "ready PID" on stdout when it starts serving, nothing on stderr.
 *
 * Built with ATTACH_DAEMON_JEMALLOC (attach_jemalloc_daemon, linked with -ljemalloc): the session
 * records come from mallocx, the responses from mallocx and go back through sdallocx, as a program on
 * jemalloc's extended API (redis, BIND) allocates; the early blocks stay malloc/free/realloc. Built
 * with ATTACH_DAEMON_CXX (attach_jemalloc_cxx_daemon) the same blocks come from C++ new[] and go back
 * through delete[] (attach_cxx_allocate.cpp), served by jemalloc's own operators.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef ATTACH_DAEMON_JEMALLOC
#include <jemalloc/jemalloc.h>
#define DAEMON_ALLOCATE(size) mallocx((size), 0)
#define DAEMON_RELEASE(block, size) sdallocx((block), (size), 0)
#elif defined(ATTACH_DAEMON_CXX)
void* daemon_cxx_allocate(size_t size);
void daemon_cxx_release(void* block);
#define DAEMON_ALLOCATE(size) daemon_cxx_allocate(size)
#define DAEMON_RELEASE(block, size) ((void)(size), daemon_cxx_release(block))
#else
#define DAEMON_ALLOCATE(size) malloc(size)
#define DAEMON_RELEASE(block, size) ((void)(size), free(block))
#endif

struct session {
    struct session* next;
    char payload[120];
};

static struct session* sessions;
static void* early_blocks[64];
static void* early_resized[64];

__attribute__((noinline)) static void remember_session(long request) {
    struct session* record = DAEMON_ALLOCATE(sizeof *record);
    snprintf(record->payload, sizeof record->payload, "session %ld", request);
    record->next = sessions;
    sessions = record;
}

__attribute__((noinline)) static uint64_t build_response(long request) {
    size_t size = 256 + (size_t)(request % 7) * 64;
    unsigned char* response = DAEMON_ALLOCATE(size);
    uint64_t sum = 0;
    for (size_t i = 0; i < size; ++i) {
        response[i] = (unsigned char)(request * 31 + i);
        sum += response[i];
    }
    DAEMON_RELEASE(response, size);
    return sum;
}

int main(int argc, char** argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: attach_daemon DATA_FILE STOP_FILE PERIOD_MS [LEAK]\n");
        return 2;
    }
    const char* stop_file = argv[2];
    char release_file[4096];
    snprintf(release_file, sizeof release_file, "%s.release", stop_file);
    int released = 0;
    long period_ms = atol(argv[3]);
    int leak = argc > 4 && strcmp(argv[4], "1") == 0;
    FILE* data = fopen(argv[1], "w");
    if (!data) return 2;
    for (int i = 0; i < 64; ++i) {
        early_blocks[i] = malloc(100 + (size_t)i);
        early_resized[i] = malloc(40);
    }
    int early_pipe[2];
    if (pipe(early_pipe) != 0) return 2;
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    struct timespec pause = {period_ms / 1000, (period_ms % 1000) * 1000000L};
    long request = 0;
    while (access(stop_file, F_OK) != 0) {
        ++request;
        uint64_t sum = build_response(request);
        if (leak) remember_session(request);
        if (released < 64 && access(release_file, F_OK) == 0) {
            free(early_blocks[released]);
            early_resized[released] = realloc(early_resized[released], 4000);
            if (++released == 10) {
                close(early_pipe[0]);
                close(early_pipe[1]);
            }
        }
        int fd = open("/dev/null", O_RDONLY);
        fprintf(data, "request %ld fd %d sum %llu released %d\n", request, fd, (unsigned long long)sum, released);
        fflush(data);
        close(fd);
        nanosleep(&pause, NULL);
    }
    fprintf(data, "done %ld\n", request);
    fclose(data);
    return 0;
}
