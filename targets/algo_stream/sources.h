/* The synthetic signals and the source element that plays them into the pipeline.
 *
 * The scene: a far-end talker's signal is played by the loudspeaker (the reference); the microphone
 * picks up its echo through a short room impulse response, plus the near-end talker (speech-like
 * bursts of three formant tones with vibrato) and a little noise. Everything is deterministic from a
 * seed, so every run and every test sees the same samples. */
#ifndef ALGO_STREAM_SOURCES_H
#define ALGO_STREAM_SOURCES_H

#include <stdint.h>

#include "algorithm_stream.h"
#include "audio_element.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SIGNAL_SAMPLE_RATE 16000
#define SIGNAL_ROOM_RESPONSE_TAPS 160    /* 10 ms: direct path after 12 samples, then a decaying tail */
#define SIGNAL_ROOM_RESPONSE_NORM 0.3f   /* L2 norm of the response: echo about 10 dB below the far end */

typedef struct {
    uint32_t rng;                                  /* xorshift32 state */
    float far_lowpass;                             /* colours the far-end noise */
    float room[SIGNAL_ROOM_RESPONSE_TAPS];         /* impulse response loudspeaker -> microphone */
    float far_history[SIGNAL_ROOM_RESPONSE_TAPS];  /* circular, newest at far_pos */
    int far_pos;
    uint64_t sample_index;
} signal_synth_t;

void signal_synth_init(signal_synth_t *synth, uint32_t seed);
/* The next `count` samples. mic = echo + near-end + noise and ref = far end, as 16-bit PCM. When not NULL,
 * echo_part receives the echo in mic and near_part the rest of mic (near-end speech and noise), both
 * in full scale 1.0, before rounding, so that a test can tell residual echo from speech. */
void signal_synth_next(signal_synth_t *synth, int16_t *mic, int16_t *ref, float *echo_part, float *near_part,
                       int count);

/* The source element: one chunk of the scene per process call. Input type 1 writes [mic, ref] interleaved
 * to its output; type 2 writes the reference to extra output 0, then mic to its output, so that a reader
 * holding a mic chunk always finds its reference already written. */
typedef struct {
    algorithm_stream_input_type_t input_type;
    int chunk_samples;   /* per channel, at most SOURCE_MAX_CHUNK_SAMPLES */
    uint32_t seed;
    int out_rb_size;
} mic_source_cfg_t;

#define SOURCE_MAX_CHUNK_SAMPLES 512

audio_element_handle_t mic_source_init(const mic_source_cfg_t *config);

#ifdef __cplusplus
}
#endif

#endif
