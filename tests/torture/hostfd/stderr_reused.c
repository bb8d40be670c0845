/* Kinds 2 and 3: the program closes its stderr and its next open() (a data file) gets fd 2; it writes
 * its records with write(2, ...) while another thread takes snapshots. The data file must hold exactly
 * the program's records: no tool message (14) and no snapshot bytes (h16) in it. The test then prints
 * the file with cat. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

static void *snapshotter(void *unused) {
    (void)unused;
    for (int i = 0; i < 20; ++i) leakscope_snapshot("tick");
    return NULL;
}

int main(void) {
    close(2);
    int fd = open("data.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("data file fd %d\n", fd);
    pthread_t thread;
    pthread_create(&thread, NULL, snapshotter, NULL);
    char line[64];
    for (int i = 0; i < 2000; ++i) {
        int length = snprintf(line, sizeof(line), "record %d\n", i);
        if (write(2, line, (size_t)length) != length) printf("write %d failed\n", i);
    }
    pthread_join(thread, NULL);
    leakscope_snapshot("after");
    return 0;
}
