/* atomvm_port --cycles N --workers K --variant buggy|fixed [--workload links|monitors|both] [--trap-exit]
 *
 * Runs the AtomVM links/monitors workloads (workload.h): N batches of K spawn_linked workers under a
 * long-lived parent and/or K short-lived clients monitoring a long-lived server, with
 * leakscope_snapshot("cycle") after each batch, then stops the parent and the server and shuts the
 * runtime down (which frees everything). --trap-exit makes the parent trap exits. Exit codes: 0 done,
 * 1 the runtime failed (a batch did not complete or memory ran out), 2 bad command line. */
#include <errno.h>
#include <inttypes.h>
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "globalcontext.h"
#include "monitor.h"
#include "process_model.h"
#include "workload.h"

typedef struct Options {
    long cycles;
    RuntimeVariant variant;
    WorkloadConfig workload;
} Options;

static const char usage[] =
    "usage: atomvm_port --cycles N --workers K --variant buggy|fixed [--workload links|monitors|both] [--trap-exit]";

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
    Options options = { .cycles = 20,
                        .variant = RUNTIME_VARIANT_BUGGY,
                        .workload = { .workers = 8, .links = true, .monitors = true } };
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0) {
            printf("%s\n", usage);
            exit(0);
        }
        if (strcmp(flag, "--trap-exit") == 0) {
            options.workload.parent_traps = true;
            continue;
        }
        if (i + 1 >= argc) {
            usage_error(strncmp(flag, "--", 2) == 0 ? "missing value for" : "unexpected argument", flag);
        }
        const char *value = argv[++i];
        if (strcmp(flag, "--cycles") == 0) {
            options.cycles = parse_bounded(flag, value, 1, 1000000);
        } else if (strcmp(flag, "--workers") == 0) {
            options.workload.workers = parse_bounded(flag, value, 1, 10000);
        } else if (strcmp(flag, "--workload") == 0) {
            bool both = strcmp(value, "both") == 0;
            options.workload.links = both || strcmp(value, "links") == 0;
            options.workload.monitors = both || strcmp(value, "monitors") == 0;
            if (!options.workload.links && !options.workload.monitors) {
                usage_error("--workload must be links, monitors or both, got", value);
            }
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
    Workload workload;
    if (global == NULL || !workload_start(&workload, global, options.workload)) {
        fprintf(stderr, "atomvm_port: out of memory starting the runtime\n");
        if (global != NULL) {
            globalcontext_destroy(global);
        }
        return 1;
    }
    for (long cycle = 1; cycle <= options.cycles; cycle++) {
        if (!workload_run_batch(&workload)) {
            fprintf(stderr, "atomvm_port: batch %ld did not complete\n", cycle);
            globalcontext_destroy(global);
            return 1;
        }
        leakscope_snapshot("cycle");
    }
    WorkloadStatus status = workload_status(&workload);
    printf("atomvm_port: variant %s (AtomVM %s model), %ld batches of %ld workers (%s%s%s)%s\n",
           options.variant == RUNTIME_VARIANT_BUGGY ? "buggy" : "fixed", global->model->version, options.cycles,
           (long) options.workload.workers, options.workload.links ? "links" : "",
           options.workload.links && options.workload.monitors ? " + " : "",
           options.workload.monitors ? "monitors" : "", options.workload.parent_traps ? ", parent traps exits" : "");
    printf("spawned %" PRIu64 ", terminated %" PRIu64 ", DOWN messages %" PRIu64 ", EXIT messages %" PRId64
           ", checksum %" PRId64 "\n",
           global->counters.spawned, global->counters.terminated, global->counters.down_messages,
           status.exit_messages, status.checksum);
    printf("records after the last batch: parent %zu, server %zu (%zu bytes each)\n", status.parent_records,
           status.server_records, sizeof(struct Monitor));
    workload_stop(&workload);
    globalcontext_destroy(global);
    printf("records alive after shutdown: %" PRIu64 "\n", monitor_live_records());
    return 0;
}
