/* lws_freertos_pipe: runs context create/destroy cycles of the FreeRTOS dummy-pipe miniature and
 * takes a leakscope snapshot after each destroy.
 *
 *   lws_freertos_pipe --cycles N --variant buggy|fixed [--max-sockets S] [--timeout SECONDS]
 *
 * Each cycle: lws_create_context (makes the UDP pipe), lws_cancel_service (sends the wake-up byte),
 * lws_service (the wait must wake within 1 s), lws_context_destroy, snapshot "cycle". The "start"
 * snapshot before the first cycle is the fd set a correct destroy returns to.
 * --max-sockets is the size of lwIP's socket table (default 10, ESP-IDF's default): a context needs
 * two slots, and the buggy variant keeps one more per cycle, so its context creation fails in cycle S
 * with lwIP's ENFILE, after S - 1 completed cycles.
 *
 * Exit codes: 0 every cycle completed; 1 the wake-up failed; 2 bad command line; 3 a context could
 * not be created (the line before names the pipe step and the errno text); 4 the watchdog stopped a
 * run that did not finish in time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <leakscope/leakscope.h>

#include "../common/target_cli.h"
#include "../common/watchdog.h"
#include "lwip_sockets.h"
#include "private_freertos_pipe.h"

#define EXIT_WAKE_FAILED 1
#define EXIT_CONTEXT_CREATE_FAILED 3
#define WAKE_TIMEOUT_MS 1000

static const char program[] = "lws_freertos_pipe";
static const char usage[] = "--cycles N --variant buggy|fixed [--max-sockets S] [--timeout SECONDS]";
static const char *const variant_names[] = {"buggy", "fixed", NULL};

struct pipe_options {
    int cycles;
    int variant; /* index in variant_names */
    int max_sockets;
    int timeout_seconds;
};

static struct pipe_options parse_pipe_options(int argc, char **argv) {
    const struct target_cli cli = {program, usage, argc, argv};
    struct pipe_options options = {.cycles = -1, .variant = -1, .max_sockets = LWIP_SOCKET_TABLE_DEFAULT, .timeout_seconds = 30};
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--cycles") == 0)
            options.cycles = (int)target_cli_long_flag(&cli, &i, 1, 100000);
        else if (strcmp(flag, "--variant") == 0)
            options.variant = target_cli_choice_flag(&cli, &i, variant_names);
        else if (strcmp(flag, "--max-sockets") == 0)
            options.max_sockets = (int)target_cli_long_flag(&cli, &i, 2, LWIP_SOCKET_TABLE_MAX);
        else if (strcmp(flag, "--timeout") == 0)
            options.timeout_seconds = (int)target_cli_long_flag(&cli, &i, 1, 3600);
        else
            target_cli_usage_error(program, usage, "unknown argument \"%s\"", flag);
    }
    if (options.cycles < 0) target_cli_usage_error(program, usage, "--cycles is required");
    if (options.variant < 0) target_cli_usage_error(program, usage, "--variant is required");
    return options;
}

/* One context lifetime; returns 0 or the exit code for the failure (after saying what failed). */
static int run_context_cycle(const struct lws_context_creation_info *info, int cycle) {
    watchdog_phase("creating a context");
    struct lws_context *context = lws_create_context(info);
    if (!context) {
        fprintf(stderr, "%s: cycle %d: lws_create_context failed (could not create the event pipe)\n", program, cycle);
        return EXIT_CONTEXT_CREATE_FAILED;
    }

    watchdog_phase("waiting for the pipe wake-up");
    lws_cancel_service(context);
    int woken = lws_service(context, WAKE_TIMEOUT_MS);
    int service_errno = errno; /* before the destroy's close() can change it */
    unsigned cancels_seen = context->cancels_seen;
    lws_context_destroy(context);
    if (woken <= 0 || cancels_seen != 1) {
        fprintf(stderr, "%s: cycle %d: the pipe signal did not wake the wait within %d ms (%s)\n", program, cycle,
                WAKE_TIMEOUT_MS, woken < 0 ? strerror(service_errno) : "timed out");
        return EXIT_WAKE_FAILED;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct pipe_options options = parse_pipe_options(argc, argv);
    watchdog_arm(program, (unsigned)options.timeout_seconds);

    lwip_socket_table_configure(options.max_sockets);
    struct lws_context_creation_info info = {
        .pipe_fd_invalidation = options.variant == 0 ? LWS_PIPE_FD0_INVALIDATED : LWS_PIPE_FD0_KEPT,
    };
    leakscope_snapshot("start");
    for (int cycle = 1; cycle <= options.cycles; cycle++) {
        int failure = run_context_cycle(&info, cycle);
        if (failure) return failure;
        leakscope_snapshot("cycle");
    }
    printf("%s: variant %s: %d context cycles completed\n", program, variant_names[options.variant], options.cycles);
    return 0;
}
