/* lws_native: Debian's libwebsockets, unmodified, driven through three lifecycle loops over
 * loopback so that leakscope can measure what the real library keeps per cycle.
 *
 *   lws_native --loop connect|context|cancel --cycles N [--messages M] [--timeout SECONDS]
 *
 * Exit codes: 0 every cycle completed; 1 lws failed (context, connection, echo mismatch); 2 bad
 * command line; 4 the watchdog stopped a run that did not finish in time. */
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "../common/target_cli.h"
#include "../common/watchdog.h"
#include "native_loops.h"

static const char program[] = "lws_native";
static const char usage[] = "--loop connect|context|cancel --cycles N [--messages M] [--timeout SECONDS]";

enum native_loop { LOOP_CONNECT, LOOP_CONTEXT, LOOP_CANCEL };
static const char *const loop_names[] = {"connect", "context", "cancel", NULL};

struct native_options {
    int loop;
    int cycles;
    int messages;
    int timeout_seconds;
};

static struct native_options parse_native_options(int argc, char **argv) {
    const struct target_cli cli = {program, usage, argc, argv};
    struct native_options options = {.loop = -1, .cycles = -1, .messages = 3, .timeout_seconds = 30};
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--loop") == 0)
            options.loop = target_cli_choice_flag(&cli, &i, loop_names);
        else if (strcmp(flag, "--cycles") == 0)
            options.cycles = (int)target_cli_long_flag(&cli, &i, 1, 100000);
        else if (strcmp(flag, "--messages") == 0)
            options.messages = (int)target_cli_long_flag(&cli, &i, 1, 10000);
        else if (strcmp(flag, "--timeout") == 0)
            options.timeout_seconds = (int)target_cli_long_flag(&cli, &i, 1, 3600);
        else
            target_cli_usage_error(program, usage, "unknown argument \"%s\"", flag);
    }
    if (options.loop < 0) target_cli_usage_error(program, usage, "--loop is required");
    if (options.cycles < 0) target_cli_usage_error(program, usage, "--cycles is required");
    return options;
}

int main(int argc, char **argv) {
    struct native_options options = parse_native_options(argc, argv);
    watchdog_arm(program, (unsigned)options.timeout_seconds);
    lws_set_log_level(LLL_ERR, NULL);

    int result = -1;
    switch ((enum native_loop)options.loop) {
    case LOOP_CONNECT: result = lws_native_loop_connect(options.cycles, options.messages); break;
    case LOOP_CONTEXT: result = lws_native_loop_context(options.cycles, options.messages); break;
    case LOOP_CANCEL: result = lws_native_loop_cancel(options.cycles); break;
    }
    if (result != 0) return 1;
    printf("lws_native: loop %s: %d cycles completed\n", loop_names[options.loop], options.cycles);
    return 0;
}
