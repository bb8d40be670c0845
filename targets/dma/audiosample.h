/* A synthetic audio sample with the audiosample protocol audio_dma uses: buffer structure, reset and
 * get_buffer. The whole sample (a tone per channel) is generated into RAM at creation, like a RawSample;
 * it hands it out either in one piece (single buffer) or in fixed blocks (streamed, like a WaveFile),
 * which is what makes audio_dma double-buffer. */
#ifndef DMA_PORT_AUDIOSAMPLE_H
#define DMA_PORT_AUDIOSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum audioio_get_buffer_result_t {
    GET_BUFFER_DONE,      /* this is the last block */
    GET_BUFFER_MORE_DATA, /* more blocks follow */
    GET_BUFFER_ERROR
} audioio_get_buffer_result_t;

typedef struct audiosample_format_t {
    uint8_t bits_per_sample; /* 8 or 16 */
    uint8_t channel_count;   /* 1 or 2 */
    bool samples_signed;     /* 8-bit samples are unsigned, 16-bit signed, as WAV files */
} audiosample_format_t;

typedef struct audiosample_t {
    audiosample_format_t format;
    uint32_t sample_rate;
    bool single_buffer;     /* true: the whole sample in one buffer */
    uint32_t block_frames;  /* frames per block when streamed */
    uint32_t frame_count;   /* frames in the sample */
    uint32_t next_frame;    /* where the next get_buffer starts */
    uint8_t *data;          /* frame_count frames, channels interleaved */
} audiosample_t;

/* Parses "u8-mono", "u8-stereo", "s16-mono", "s16-stereo"; false for anything else. */
bool audiosample_parse_format(const char *name, audiosample_format_t *out);

/* A sample of `frame_count` frames holding a sine per channel (440 Hz left/mono, 660 Hz right). NULL when
 * memory is exhausted. */
audiosample_t *audiosample_new_synthetic(audiosample_format_t format, uint32_t sample_rate,
                                         uint32_t frame_count, bool single_buffer, uint32_t block_frames);
void audiosample_free(audiosample_t *sample);

uint8_t audiosample_get_bits_per_sample(const audiosample_t *sample);

/* Rewinds to the first frame. */
void audiosample_reset_buffer(audiosample_t *sample, bool single_channel_output, uint8_t channel);

/* What audio_dma must prepare for: whether the sample comes in one buffer, its signedness, the longest
 * buffer get_buffer returns (bytes), and the byte distance between samples of the channel played
 * (channel_count when one channel of a stereo sample feeds a single-channel output, else 1). */
void audiosample_get_buffer_structure(const audiosample_t *sample, bool single_channel_output, bool *single_buffer,
                                      bool *samples_signed, uint32_t *max_buffer_length, uint8_t *spacing);

/* The next block: *buffer points into the sample (offset to `channel` for a single-channel output). */
audioio_get_buffer_result_t audiosample_get_buffer(audiosample_t *sample, bool single_channel_output,
                                                   uint8_t channel, uint8_t **buffer, uint32_t *buffer_length);

#ifdef __cplusplus
}
#endif

#endif
