/* Command-line helpers shared by the lws target programs: see target_cli.h. */
#include "target_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void target_cli_usage_error(const char *program, const char *usage, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, " (usage: %s %s)\n", program, usage);
    exit(TARGET_EXIT_USAGE);
}

/* The value that follows the flag at argv[*index]; advances *index. */
static const char *target_cli_flag_value(const struct target_cli *cli, int *index) {
    const char *flag = cli->argv[*index];
    if (*index + 1 >= cli->argc) target_cli_usage_error(cli->program, cli->usage, "%s needs a value", flag);
    *index += 1;
    return cli->argv[*index];
}

long target_cli_long_flag(const struct target_cli *cli, int *index, long min, long max) {
    const char *flag = cli->argv[*index];
    const char *text = target_cli_flag_value(cli, index);
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno == ERANGE || value < min || value > max)
        target_cli_usage_error(cli->program, cli->usage, "%s \"%s\" is not a number from %ld to %ld", flag, text, min,
                               max);
    return value;
}

int target_cli_choice_flag(const struct target_cli *cli, int *index, const char *const *choices) {
    const char *flag = cli->argv[*index];
    const char *text = target_cli_flag_value(cli, index);
    char accepted[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (strcmp(text, choices[i]) == 0) return i;
        /* Build "a|b|c" for the error message; the choice lists here are a few short words. */
        if (i > 0) strncat(accepted, "|", sizeof(accepted) - strlen(accepted) - 1);
        strncat(accepted, choices[i], sizeof(accepted) - strlen(accepted) - 1);
    }
    target_cli_usage_error(cli->program, cli->usage, "%s \"%s\" is not one of %s", flag, text, accepted);
}
