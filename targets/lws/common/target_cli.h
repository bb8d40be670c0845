/* Command-line helpers shared by the lws target programs.
 *
 * Both programs follow the project rule for bad input: one clear line on stderr and exit code 2,
 * never a crash. These helpers print that line and exit, so each program's parser stays a flat list
 * of flags. */
#ifndef LEAKSCOPE_TARGETS_LWS_TARGET_CLI_H
#define LEAKSCOPE_TARGETS_LWS_TARGET_CLI_H

#define TARGET_EXIT_USAGE 2

/* Prints one line, "<program>: <message> (usage: <program> <usage>)", on stderr, then exits with
 * TARGET_EXIT_USAGE. */
void target_cli_usage_error(const char *program, const char *usage, const char *format, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* The program's name and usage line, for the error messages of the parsers below. */
struct target_cli {
    const char *program;
    const char *usage;
    int argc;
    char **argv;
};

/* The value of the flag at argv[*index] (the next argument) as a decimal integer in [min, max];
 * advances *index past it. A missing value, or anything but such a number (empty, trailing
 * characters, out of range), is a usage error that names the flag and the accepted range. */
long target_cli_long_flag(const struct target_cli *cli, int *index, long min, long max);

/* The value of the flag at argv[*index] as its index in the NULL-terminated `choices`; advances
 * *index. Anything else is a usage error that lists the choices. */
int target_cli_choice_flag(const struct target_cli *cli, int *index, const char *const *choices);

#endif
