/* Leaks one fd and 32 B per cycle for 5 cycles, then main calls pthread_exit() while a worker still
 * runs: the process exits (status 0) when that last thread returns. The exit snapshot must still hold
 * the executable, the module map and the 5 fds open_and_forget leaked. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <leakscope/leakscope.h>

void *keep[16];
__attribute__((noinline)) int open_and_forget(void) { return open("/dev/null", O_RDONLY); }
__attribute__((noinline)) void leak_block(int i) { keep[i] = malloc(32); }

static void *last_worker(void *arg) {
    (void)arg;
    usleep(50000);
    return NULL;
}

int main(void) {
    for (int i = 0; i < 5; ++i) {
        open_and_forget();
        leak_block(i);
        leakscope_snapshot("cycle");
    }
    pthread_t thread;
    pthread_create(&thread, NULL, last_worker, NULL);
    pthread_exit(NULL);
}
