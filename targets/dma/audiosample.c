#include "audiosample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool audiosample_parse_format(const char *name, audiosample_format_t *out)
{
    static const struct {
        const char *name;
        audiosample_format_t format;
    } known[] = {
        { "u8-mono", { 8, 1, false } },
        { "u8-stereo", { 8, 2, false } },
        { "s16-mono", { 16, 1, true } },
        { "s16-stereo", { 16, 2, true } },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(name, known[i].name) == 0) {
            *out = known[i].format;
            return true;
        }
    }
    return false;
}

static size_t frame_bytes(const audiosample_format_t *format)
{
    return (size_t) format->channel_count * (format->bits_per_sample / 8);
}

/* The tone's value in [-1, 1] for this channel and frame. */
static double tone(uint32_t sample_rate, uint8_t channel, uint32_t frame)
{
    const double pi = 3.14159265358979323846;
    double frequency = channel == 0 ? 440.0 : 660.0;
    return 0.8 * sin(2.0 * pi * frequency * frame / sample_rate);
}

audiosample_t *audiosample_new_synthetic(audiosample_format_t format, uint32_t sample_rate,
                                         uint32_t frame_count, bool single_buffer, uint32_t block_frames)
{
    audiosample_t *sample = calloc(1, sizeof(audiosample_t));
    if (sample == NULL) {
        return NULL;
    }
    sample->data = malloc(frame_count * frame_bytes(&format));
    if (sample->data == NULL) {
        free(sample);
        return NULL;
    }
    sample->format = format;
    sample->sample_rate = sample_rate;
    sample->single_buffer = single_buffer;
    sample->block_frames = single_buffer || block_frames == 0 ? frame_count : block_frames;
    sample->frame_count = frame_count;
    for (uint32_t frame = 0; frame < frame_count; frame++) {
        for (uint8_t channel = 0; channel < format.channel_count; channel++) {
            double value = tone(sample_rate, channel, frame);
            size_t index = (size_t) frame * format.channel_count + channel;
            if (format.bits_per_sample == 8) {
                sample->data[index] = (uint8_t) lround(128.0 + 127.0 * value);
            } else {
                int16_t scaled = (int16_t) lround(32767.0 * value);
                memcpy(sample->data + index * 2, &scaled, sizeof scaled);
            }
        }
    }
    return sample;
}

void audiosample_free(audiosample_t *sample)
{
    if (sample != NULL) {
        free(sample->data);
        free(sample);
    }
}

uint8_t audiosample_get_bits_per_sample(const audiosample_t *sample)
{
    return sample->format.bits_per_sample;
}

void audiosample_reset_buffer(audiosample_t *sample, bool single_channel_output, uint8_t channel)
{
    (void) single_channel_output;
    (void) channel;
    sample->next_frame = 0;
}

void audiosample_get_buffer_structure(const audiosample_t *sample, bool single_channel_output, bool *single_buffer,
                                      bool *samples_signed, uint32_t *max_buffer_length, uint8_t *spacing)
{
    *single_buffer = sample->single_buffer;
    *samples_signed = sample->format.samples_signed;
    *max_buffer_length = (uint32_t) (sample->block_frames * frame_bytes(&sample->format));
    *spacing = single_channel_output ? sample->format.channel_count : 1;
}

audioio_get_buffer_result_t audiosample_get_buffer(audiosample_t *sample, bool single_channel_output,
                                                   uint8_t channel, uint8_t **buffer, uint32_t *buffer_length)
{
    if (sample->next_frame >= sample->frame_count) {
        return GET_BUFFER_ERROR;
    }
    uint32_t frames = sample->frame_count - sample->next_frame;
    frames = frames < sample->block_frames ? frames : sample->block_frames;
    size_t bytes_per_frame = frame_bytes(&sample->format);
    *buffer = sample->data + (size_t) sample->next_frame * bytes_per_frame;
    *buffer_length = (uint32_t) (frames * bytes_per_frame);
    if (single_channel_output && sample->format.channel_count > 1) {
        /* As audiocore's RawSample: start at the channel's first byte and keep the length; the consumer
         * steps by the spacing, so it never reads past the block. */
        *buffer += (size_t) (channel % sample->format.channel_count) * (sample->format.bits_per_sample / 8);
    }
    sample->next_frame += frames;
    return sample->next_frame >= sample->frame_count ? GET_BUFFER_DONE : GET_BUFFER_MORE_DATA;
}
