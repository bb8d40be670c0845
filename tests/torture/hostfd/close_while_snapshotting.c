/* Kind 2: one thread takes snapshots back to back while the main thread opens and closes fds. Every
 * close() must close (h20: a close of a number the snapshot writer had just released returned 0 and
 * closed nothing). Prints the close failures and the fds open at the end minus at the start: 0 and 0. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

static atomic_int done;

static void *snapshotter(void *unused) {
    (void)unused;
    for (int i = 0; i < 30 && !atomic_load(&done); ++i) leakscope_snapshot("tick");
    return NULL;
}

static int countOpenFds(void) {
    DIR *dir = opendir("/proc/self/fd");
    int count = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir));)
        if (entry->d_name[0] != '.') ++count;
    if (dir) closedir(dir);
    return count - 1; /* the listing's own fd */
}

int main(void) {
    int at_start = countOpenFds();
    pthread_t thread;
    pthread_create(&thread, NULL, snapshotter, NULL);
    int close_failures = 0, open_failures = 0;
    for (int i = 0; i < 20000; ++i) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            ++open_failures;
            continue;
        }
        if (close(fd) != 0) ++close_failures;
    }
    atomic_store(&done, 1);
    pthread_join(thread, NULL);
    printf("open failures %d, close failures %d, fds open at the end minus at the start %d\n", open_failures,
           close_failures, countOpenFds() - at_start);
    return 0;
}
