/* atomvm_port --cycles N --workers K --variant buggy|fixed
 *
 * Runs the AtomVM links/monitors workload: N batches of K linked and K monitored workers under a
 * long-lived parent, with leakscope_snapshot("cycle") after each batch, then shuts the runtime down
 * (which frees everything). Exit codes: 0 done, 1 the runtime failed (a batch did not complete or memory
 * ran out), 2 bad command line. */
#include <errno.h>
#include <inttypes.h>
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "globalcontext.h"
#include "monitor.h"
#include "workload.h"

typedef struct Options {
    long cycles;
    long workers;
    RuntimeVariant variant;
} Options;

static const char usage[] = "usage: atomvm_port --cycles N --workers K --variant buggy|fixed";

/* One line on stderr and exit 2: the project's rule for bad input. */
static void usage_error(const char *what, const char *value)
{
    fprintf(stderr, "atomvm_port: %s%s%s (%s)\n", what, value ? ": " : "", value ? value : "", usage);
    exit(2);
}

static long parse_bounded(const char *flag, const char *text, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "atomvm_port: %s wants a whole number from %ld to %ld, got \"%s\"\n", flag, min, max, text);
        exit(2);
    }
    return value;
}

static Options parse_options(int argc, char **argv)
{
    Options options = { .cycles = 20, .workers = 8, .variant = RUNTIME_VARIANT_BUGGY };
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0) {
            printf("%s\n", usage);
            exit(0);
        }
        if (i + 1 >= argc) {
            usage_error(strncmp(flag, "--", 2) == 0 ? "missing value for" : "unexpected argument", flag);
        }
        const char *value = argv[++i];
        if (strcmp(flag, "--cycles") == 0) {
            options.cycles = parse_bounded(flag, value, 1, 1000000);
        } else if (strcmp(flag, "--workers") == 0) {
            options.workers = parse_bounded(flag, value, 1, 10000);
        } else if (strcmp(flag, "--variant") == 0) {
            if (strcmp(value, "buggy") == 0) {
                options.variant = RUNTIME_VARIANT_BUGGY;
            } else if (strcmp(value, "fixed") == 0) {
                options.variant = RUNTIME_VARIANT_FIXED;
            } else {
                usage_error("--variant must be buggy or fixed, got", value);
            }
        } else {
            usage_error("unknown option", flag);
        }
    }
    return options;
}

int main(int argc, char **argv)
{
    Options options = parse_options(argc, argv);
    GlobalContext *global = globalcontext_new(options.variant);
    int32_t parent_pid = global != NULL ? workload_start(global, options.workers) : 0;
    if (parent_pid == 0) {
        fprintf(stderr, "atomvm_port: out of memory starting the runtime\n");
        return 1;
    }
    for (long cycle = 1; cycle <= options.cycles; cycle++) {
        if (!workload_run_batch(global, parent_pid)) {
            fprintf(stderr, "atomvm_port: batch %ld did not complete\n", cycle);
            globalcontext_destroy(global);
            return 1;
        }
        leakscope_snapshot("cycle");
    }
    ParentStatus status = workload_parent_status(global, parent_pid);
    printf("atomvm_port: variant %s, %ld batches of %ld linked + %ld monitored workers\n",
           options.variant == RUNTIME_VARIANT_BUGGY ? "buggy" : "fixed", options.cycles, options.workers,
           options.workers);
    printf("spawned %" PRIu64 ", terminated %" PRIu64 ", DOWN messages %" PRIu64 ", checksum %" PRId64 "\n",
           global->counters.spawned, global->counters.terminated, global->counters.down_messages, status.checksum);
    printf("parent records after the last batch: %zu (%zu bytes)\n", status.records,
           status.records * sizeof(struct Monitor));
    workload_stop(global, parent_pid);
    globalcontext_destroy(global);
    printf("records alive after shutdown: %" PRIu64 "\n", monitor_live_records());
    return 0;
}
