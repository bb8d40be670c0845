/* Sample conversion into the DMA buffers, after audio_dma_convert_samples in CircuitPython: change of
 * signedness, 8-bit to 16-bit widening, picking one channel of an interleaved sample (spacing), and the
 * optional channel swap. */
#include <string.h>

#include "audio_dma.h"

static uint16_t load_u16(const uint8_t *bytes, size_t index)
{
    uint16_t value;
    memcpy(&value, bytes + index * 2, sizeof value);
    return value;
}

static void store_u16(uint8_t *bytes, size_t index, uint16_t value)
{
    memcpy(bytes + index * 2, &value, sizeof value);
}

/* 8-bit samples to a wider output: every input byte becomes a 16-bit word, shifted up to the resolution. */
static size_t widen_8_to_16(const audio_dma_t *dma, const uint8_t *input, uint32_t input_length, uint8_t *output)
{
    /* Multiplication instead of << so that negative values shift without undefined behaviour. */
    int32_t scale = 1 << (dma->output_resolution - dma->sample_resolution);
    size_t out_i = 0;
    for (uint32_t i = 0; i < input_length; i += dma->sample_spacing) {
        int32_t value;
        if (dma->signed_to_unsigned) {
            value = ((int32_t) (int8_t) input[i] + 0x80) * scale;
        } else if (dma->unsigned_to_signed) {
            value = ((int32_t) input[i] - 0x80) * scale;
        } else {
            value = (int32_t) input[i] * scale;
        }
        store_u16(output, out_i++, (uint16_t) value);
    }
    return out_i * 2;
}

static size_t convert_8_to_8(const audio_dma_t *dma, const uint8_t *input, uint32_t input_length, uint8_t *output)
{
    size_t out_i = 0;
    for (uint32_t i = 0; i < input_length; i += dma->sample_spacing) {
        uint8_t value = input[i];
        if (dma->signed_to_unsigned || dma->unsigned_to_signed) {
            value = (uint8_t) (value ^ 0x80); /* adding or removing 0x80 modulo 256 */
        }
        output[out_i++] = value;
    }
    return out_i;
}

static size_t convert_16_to_16(const audio_dma_t *dma, const uint8_t *input, uint32_t input_length, uint8_t *output)
{
    unsigned shift = 16u - dma->output_resolution;
    size_t out_i = 0;
    for (uint32_t i = 0; i < input_length / 2; i += dma->sample_spacing) {
        uint16_t value = load_u16(input, i);
        if (dma->signed_to_unsigned || dma->unsigned_to_signed) {
            value = (uint16_t) (value ^ 0x8000); /* adding or removing 0x8000 modulo 65536 */
        }
        if (shift > 0) {
            value = dma->output_signed ? (uint16_t) ((int16_t) value / (1 << shift)) : (uint16_t) (value >> shift);
        }
        store_u16(output, out_i++, value);
    }
    return out_i * 2;
}

/* Swaps left and right of each stereo frame of 16-bit words (or bytes). */
static void swap_channels(uint8_t *output, size_t length, size_t word_bytes)
{
    for (size_t i = 0; i + 2 * word_bytes <= length; i += 2 * word_bytes) {
        uint8_t left[2];
        memcpy(left, output + i, word_bytes);
        memmove(output + i, output + i + word_bytes, word_bytes);
        memcpy(output + i + word_bytes, left, word_bytes);
    }
}

size_t audio_dma_convert_samples(const audio_dma_t *dma, const uint8_t *input, uint32_t input_length,
                                 uint8_t *output, size_t output_capacity)
{
    size_t needed = (input_length + dma->sample_spacing - 1) / dma->sample_spacing;
    bool widen = dma->sample_resolution <= 8 && dma->output_resolution > 8;
    if (widen) {
        needed *= 2;
    }
    if (needed > output_capacity || output == NULL) {
        return 0;
    }
    size_t used;
    if (widen) {
        used = widen_8_to_16(dma, input, input_length, output);
    } else if (dma->sample_resolution <= 8) {
        used = convert_8_to_8(dma, input, input_length, output);
    } else if (dma->output_resolution > 8) {
        used = convert_16_to_16(dma, input, input_length, output);
    } else {
        /* 16-bit samples to an 8-bit output: not implemented in the original either. */
        return 0;
    }
    if (dma->swap_channel) {
        swap_channels(output, used, dma->output_resolution > 8 ? 2 : 1);
    }
    return used;
}
