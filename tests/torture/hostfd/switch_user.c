/* Kind 11: a process that drops privileges after start, as an nginx worker does (setgid/setuid to
 * nobody), then exits. Its stderr must stay the program's: no tool warning about the run's directory. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    if (getuid() != 0) {
        puts("not root");
        return 0;
    }
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        perror("drop privileges");
        return 2;
    }
    printf("now uid %d\n", (int)getuid());
    return 0;
}
