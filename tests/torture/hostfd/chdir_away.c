/* Kind 9: the program changes its working directory (into "sub", like a daemon's chdir("/")) and then
 * asks for a snapshot and exits. The snapshots must land in the output directory as resolved at start. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakscope/leakscope.h"

int main(void) {
    mkdir("sub", 0700);
    if (chdir("sub") != 0) {
        perror("chdir");
        return 2;
    }
    leakscope_snapshot("moved");
    puts("moved into sub");
    return 0;
}
