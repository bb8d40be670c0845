/* Leaks one fd per cycle (12 cycles) through a libc call that opens it internally, chosen by argv[1]:
 *   mkstemp mkostemp mkstemps tmpfile popen recvmsg   -> leak_<mode>() keeps the fd open
 *   popen_closed                                       -> popen + pclose each cycle: nothing grows
 * argv[2] is a writable directory for the temporary files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <leakscope/leakscope.h>

static const char *dir = "/tmp";
static int pair[2] = {-1, -1};
FILE *kept_streams[16];

__attribute__((noinline)) int leak_mkstemp(void) {
    char name[4096];
    snprintf(name, sizeof(name), "%s/mkstemp-XXXXXX", dir);
    return mkstemp(name);
}
__attribute__((noinline)) int leak_mkostemp(void) {
    char name[4096];
    snprintf(name, sizeof(name), "%s/mkostemp-XXXXXX", dir);
    return mkostemp(name, O_CLOEXEC);
}
__attribute__((noinline)) int leak_mkstemps(void) {
    char name[4096];
    snprintf(name, sizeof(name), "%s/mkstemps-XXXXXX.tmp", dir);
    return mkstemps(name, 4);
}
__attribute__((noinline)) int leak_tmpfile(int i) {
    kept_streams[i] = tmpfile();
    return kept_streams[i] ? fileno(kept_streams[i]) : -1;
}
__attribute__((noinline)) int leak_popen(int i) {
    kept_streams[i] = popen("true", "r");
    return kept_streams[i] ? fileno(kept_streams[i]) : -1;
}
__attribute__((noinline)) int popen_and_pclose(void) {
    FILE *stream = popen("true", "r");
    return stream ? pclose(stream) : -1;
}
/* Sends a fresh fd over the socketpair and closes it: only the received copy stays open. */
static void send_one_fd(void) {
    int fd = open("/dev/null", O_RDONLY);
    char byte = 'x';
    struct iovec data = {&byte, 1};
    union { char buffer[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof(control));
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof(control.buffer)};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));
    if (sendmsg(pair[0], &message, 0) != 1) exit(3);
    close(fd);
}
__attribute__((noinline)) int leak_recvmsg(void) {
    char byte;
    struct iovec data = {&byte, 1};
    union { char buffer[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof(control.buffer)};
    if (recvmsg(pair[1], &message, 0) != 1) return -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return fd;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "mkstemp";
    if (argc > 2) dir = argv[2];
    if (strcmp(mode, "recvmsg") == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return 3;
    for (int i = 0; i < 12; ++i) {
        int fd = 0;
        if (strcmp(mode, "mkstemp") == 0) fd = leak_mkstemp();
        else if (strcmp(mode, "mkostemp") == 0) fd = leak_mkostemp();
        else if (strcmp(mode, "mkstemps") == 0) fd = leak_mkstemps();
        else if (strcmp(mode, "tmpfile") == 0) fd = leak_tmpfile(i);
        else if (strcmp(mode, "popen") == 0) fd = leak_popen(i);
        else if (strcmp(mode, "popen_closed") == 0) fd = popen_and_pclose();
        else if (strcmp(mode, "recvmsg") == 0) { send_one_fd(); fd = leak_recvmsg(); }
        else return 2;
        if (fd < 0) return 4;
        leakscope_snapshot("cycle");
    }
    return 0;
}
