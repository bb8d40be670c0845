/* The synthetic scene: far end, room echo, near-end "speech" (see sources.h). */
#include <math.h>

#include "sources.h"

#define TWO_PI 6.28318530717958647692
#define FAR_END_LEVEL 0.25f           /* peak of the coloured noise before its syllable envelope */
#define NEAR_END_LEVEL 0.12f          /* each near-end burst peaks about here */
#define NOISE_LEVEL 0.0003f           /* about -70 dBFS of microphone noise */
#define SYLLABLE_PERIOD_S 0.6
#define SYLLABLE_LENGTH_S 0.25

static uint32_t next_random(signal_synth_t *synth) {
    uint32_t x = synth->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    synth->rng = x;
    return x;
}

/* Uniform in [-1, 1). */
static float random_unit(signal_synth_t *synth) { return (float)next_random(synth) / 2147483648.0f - 1.0f; }

void signal_synth_init(signal_synth_t *synth, uint32_t seed) {
    *synth = (signal_synth_t){.rng = seed ? seed : 0x9e3779b9u};
    /* Direct path after 12 samples (0.75 ms, about 25 cm), then reflections decaying with a 2 ms constant. */
    const int direct = 12;
    double norm = 0.0;
    for (int k = direct; k < SIGNAL_ROOM_RESPONSE_TAPS; ++k) {
        float reflection = k == direct ? 1.0f : 0.6f * random_unit(synth);
        synth->room[k] = reflection * expf(-(float)(k - direct) / 32.0f);
        norm += (double)synth->room[k] * synth->room[k];
    }
    float scale = SIGNAL_ROOM_RESPONSE_NORM / (float)sqrt(norm);
    for (int k = 0; k < SIGNAL_ROOM_RESPONSE_TAPS; ++k) synth->room[k] *= scale;
}

static float far_end_sample(signal_synth_t *synth, double t) {
    /* Coloured noise with a slow syllabic swell: broadband enough for the canceller to learn the room. */
    synth->far_lowpass = 0.5f * synth->far_lowpass + 0.5f * random_unit(synth);
    float swell = 0.6f + 0.4f * (float)fabs(sin(TWO_PI * 1.7 * t));
    return FAR_END_LEVEL * swell * synth->far_lowpass;
}

static float near_end_sample(double t) {
    double in_syllable = fmod(t, SYLLABLE_PERIOD_S);
    if (in_syllable >= SYLLABLE_LENGTH_S) return 0.0f;
    double envelope = sin(0.5 * TWO_PI * in_syllable / SYLLABLE_LENGTH_S);
    envelope *= envelope;
    double vibrato = 1.0 + 0.02 * sin(TWO_PI * 5.0 * t);
    double voice = sin(TWO_PI * 520.0 * vibrato * t) + 0.6 * sin(TWO_PI * 1480.0 * vibrato * t + 0.7) +
                   0.3 * sin(TWO_PI * 2510.0 * vibrato * t + 1.9);
    return (float)(NEAR_END_LEVEL * envelope * voice / 1.9);
}

static int16_t to_pcm16(float value) {
    float scaled = roundf(value * 32768.0f);
    return scaled > 32767.0f ? 32767 : (scaled < -32768.0f ? -32768 : (int16_t)scaled);
}

void signal_synth_next(signal_synth_t *synth, int16_t *mic, int16_t *ref, float *echo_part, float *near_part,
                       int count) {
    for (int n = 0; n < count; ++n) {
        double t = (double)synth->sample_index++ / SIGNAL_SAMPLE_RATE;
        float far = far_end_sample(synth, t);
        /* The reference is what the loudspeaker plays: the 16-bit far-end sample itself. */
        int16_t far_pcm = to_pcm16(far);
        synth->far_pos = (synth->far_pos + 1) % SIGNAL_ROOM_RESPONSE_TAPS;
        synth->far_history[synth->far_pos] = far_pcm / 32768.0f;
        float echo = 0.0f;
        for (int k = 0; k < SIGNAL_ROOM_RESPONSE_TAPS; ++k) {
            int pos = synth->far_pos - k;
            if (pos < 0) pos += SIGNAL_ROOM_RESPONSE_TAPS;
            echo += synth->room[k] * synth->far_history[pos];
        }
        float near = near_end_sample(t) + NOISE_LEVEL * random_unit(synth);
        mic[n] = to_pcm16(echo + near);
        ref[n] = far_pcm;
        if (echo_part) echo_part[n] = echo;
        if (near_part) near_part[n] = near;
    }
}
