/* The command line of algo_pipeline. */
#ifndef ALGO_STREAM_CLI_OPTIONS_H
#define ALGO_STREAM_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALGO_PIPELINE_USAGE \
    "usage: algo_pipeline --cycles N --variant buggy|fixed [--lifecycle pause|stop] [--out FILE] [--input-type 1|2] " \
    "[--chunks-per-cycle N]"

/* What one cycle does to the running pipeline; both close and reopen the algorithm element. */
typedef enum {
    ALGO_LIFECYCLE_PAUSE, /* audio_pipeline_pause, then audio_pipeline_resume */
    ALGO_LIFECYCLE_STOP,  /* audio_pipeline_stop, wait_for_stop, reset_ringbuffer, then audio_pipeline_run */
} algo_lifecycle_t;

typedef struct {
    long cycles;
    bool fixed;              /* --variant fixed */
    algo_lifecycle_t lifecycle; /* --lifecycle, default pause */
    const char *out_path;    /* NULL: null sink */
    int input_type;          /* 1 or 2 */
    long chunks_per_cycle;   /* processed chunks that flow between two pauses */
    bool help;
} cli_options_t;

/* Parses argv into options. Returns true on success; on failure writes one line saying what is wrong
 * into error (at most error_size bytes). --help sets options->help and succeeds. */
bool cli_options_parse(int argc, char **argv, cli_options_t *options, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif
