/* Never installs a signal handler and treats any poll() failure as fatal, as many programs do (without
   handlers poll never fails with EINTR). Creates the file argv[1] when it starts waiting. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    char* state = malloc(1000);
    state[0] = 1;
    close(open(argv[1], O_CREAT | O_WRONLY, 0600));
    for (int i = 0; i < 4; ++i) {
        if (poll(NULL, 0, 500) < 0) {
            perror("poll");
            return 1;
        }
    }
    printf("waited, ok\n");
    free(state);
    return 0;
}
