/* Asks for snapshots back to back (leakscope_snapshot: a no-op without the tool), so that a job-control
 * stop of the process almost always lands while one is being written; the test stops and continues it
 * from outside (SIGSTOP/SIGCONT) and requires every stop to be reported, as without the tool.
 * usage: host_stop_during_snapshots COUNT — prints "asked COUNT snapshots" and exits 0. */
#include <stdio.h>
#include <stdlib.h>

#include "leakscope/leakscope.h"

int main(int argc, char** argv) {
    long count = argc > 1 ? atol(argv[1]) : 0;
    for (long i = 0; i < count; ++i) leakscope_snapshot("tick");
    printf("asked %ld snapshots\n", count);
    return 0;
}
