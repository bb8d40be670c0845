/* Parsing algo_pipeline's arguments (see cli_options.h). */
#include "cli_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CYCLES 100000000L
#define MAX_CHUNKS_PER_CYCLE 100000L

/* A whole decimal number in [min, max], nothing else. */
static bool parse_bounded(const char *text, long min, long max, long *value) {
    if (!text || !*text) return false;
    char *end = NULL;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max) return false;
    *value = parsed;
    return true;
}

bool cli_options_parse(int argc, char **argv, cli_options_t *options, char *error, size_t error_size) {
    *options = (cli_options_t){.cycles = -1, .input_type = 1, .chunks_per_cycle = 32};
    bool variant_given = false;
    for (int i = 1; i < argc; ++i) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            options->help = true;
            return true;
        }
        bool takes_value = strcmp(flag, "--cycles") == 0 || strcmp(flag, "--variant") == 0 ||
                           strcmp(flag, "--out") == 0 || strcmp(flag, "--input-type") == 0 ||
                           strcmp(flag, "--chunks-per-cycle") == 0 || strcmp(flag, "--lifecycle") == 0;
        if (!takes_value) {
            snprintf(error, error_size, "unknown argument '%s'", flag);
            return false;
        }
        if (i + 1 >= argc) {
            snprintf(error, error_size, "%s needs a value", flag);
            return false;
        }
        const char *value = argv[++i];
        long number = 0;
        if (strcmp(flag, "--cycles") == 0) {
            if (!parse_bounded(value, 1, MAX_CYCLES, &options->cycles)) {
                snprintf(error, error_size, "--cycles '%s' is not a number from 1 to %ld", value, MAX_CYCLES);
                return false;
            }
        } else if (strcmp(flag, "--variant") == 0) {
            if (strcmp(value, "buggy") != 0 && strcmp(value, "fixed") != 0) {
                snprintf(error, error_size, "--variant '%s' is not buggy or fixed", value);
                return false;
            }
            options->fixed = strcmp(value, "fixed") == 0;
            variant_given = true;
        } else if (strcmp(flag, "--lifecycle") == 0) {
            if (strcmp(value, "pause") != 0 && strcmp(value, "stop") != 0) {
                snprintf(error, error_size, "--lifecycle '%s' is not pause or stop", value);
                return false;
            }
            options->lifecycle = strcmp(value, "stop") == 0 ? ALGO_LIFECYCLE_STOP : ALGO_LIFECYCLE_PAUSE;
        } else if (strcmp(flag, "--out") == 0) {
            if (!*value) {
                snprintf(error, error_size, "--out needs a file name");
                return false;
            }
            options->out_path = value;
        } else if (strcmp(flag, "--input-type") == 0) {
            if (!parse_bounded(value, 1, 2, &number)) {
                snprintf(error, error_size, "--input-type '%s' is not 1 or 2", value);
                return false;
            }
            options->input_type = (int)number;
        } else if (!parse_bounded(value, 1, MAX_CHUNKS_PER_CYCLE, &options->chunks_per_cycle)) {
            snprintf(error, error_size, "--chunks-per-cycle '%s' is not a number from 1 to %ld", value,
                     MAX_CHUNKS_PER_CYCLE);
            return false;
        }
    }
    if (options->cycles < 0) {
        snprintf(error, error_size, "--cycles is required");
        return false;
    }
    if (!variant_given) {
        snprintf(error, error_size, "--variant is required");
        return false;
    }
    return true;
}
