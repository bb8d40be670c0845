/* fd numbers near both ends of the table (issue 16, kind 1: no tool fd where the program can meet it).
 * Prints: the first fds a pipe gets, how many of the 40 highest numbers the soft RLIMIT_NOFILE allows
 * can be dup2()ed onto, how many more fds can be opened, and whether libunwind is mapped. Every line
 * is the same with and without the preload when the tool holds no fd and loads nothing extra.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int libunwindMapped(void) {
    FILE* maps = fopen("/proc/self/maps", "r");
    if (!maps) return -1;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "libunwind")) found = 1;
    fclose(maps);
    return found;
}

int main(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return 1;
    printf("pipe: %d %d\n", pipe_fds[0], pipe_fds[1]);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int top = (int)limit.rlim_cur - 1, failed = 0;
    for (int fd = top - 39; fd <= top; ++fd) {
        if (fd <= 2) continue;
        if (dup2(1, fd) != fd) {
            if (!failed++) printf("dup2 onto fd %d failed: %s\n", fd, strerror(errno));
        } else {
            close(fd);
        }
    }
    printf("dup2 onto the top 40 fds: %d failed\n", failed);
    int opened[65536], count = 0;
    int fd;
    while (count < 65536 && (fd = open("/dev/null", O_RDONLY)) >= 0) opened[count++] = fd;
    printf("opened %d descriptors, the last one %d\n", count, count ? opened[count - 1] : -1);
    /* Give them back: the exit snapshot needs an fd (running out is another test's subject). */
    for (int i = 0; i < count; ++i) close(opened[i]);
    printf("libunwind mapped: %d\n", libunwindMapped());
    return 0;
}
