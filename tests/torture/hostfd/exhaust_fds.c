/* Kind 4: the program lowers its fd limit to 64 ("hard": the hard limit too, so nothing can be raised),
 * opens /dev/null until EMFILE and keeps them all: the count must be the plain run's, and the snapshot
 * it asks for then and the exit snapshot must still be written, listing the leaked fds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

int main(int argc, char **argv) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = 64;
    if (argc > 1 && strcmp(argv[1], "hard") == 0) limit.rlim_max = 64;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        perror("setrlimit");
        return 2;
    }
    int opened = 0;
    while (open("/dev/null", O_RDONLY) >= 0) ++opened;
    printf("opened %d fds, then %s\n", opened, strerror(errno));
    fflush(stdout);
    leakscope_snapshot("full");
    return 0;
}
