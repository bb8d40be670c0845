/* audio_dma, after CircuitPython's ports/raspberrypi/audio_dma.c: plays an audiosample into an output
 * register through two chained DMA channels and two buffers that hold the sample converted to the
 * output's signedness, resolution and channel layout.
 *
 * The hardware is replaced by audio_dma_service(), which plays the loaded buffers into a sink (what the
 * peripheral's FIFO would have received) and refills them, as the DMA-complete interrupt does. Which heap
 * the two buffers come from is the subject of the original bug: see dma_buffer_heap_t. */
#ifndef DMA_PORT_AUDIO_DMA_H
#define DMA_PORT_AUDIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audiosample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum audio_dma_result {
    AUDIO_DMA_OK,
    AUDIO_DMA_DMA_BUSY,     /* "No DMA channel found" */
    AUDIO_DMA_MEMORY_ERROR, /* "Unable to allocate buffers for signed conversion" */
    AUDIO_DMA_SOURCE_ERROR, /* "Audio source error" */
    /* This port's own check, not upstream's: a buffer outside DMA-capable memory (SRAM), which is what
     * m_realloc would hand out on an RP2350 whose VM heap is in PSRAM. */
    AUDIO_DMA_NOT_DMA_CAPABLE
} audio_dma_result;

/* Where the conversion buffers come from. */
typedef enum dma_buffer_heap_t {
    DMA_BUFFER_HEAP_VM,  /* m_realloc / m_free */
    DMA_BUFFER_HEAP_PORT /* port_realloc / port_free */
} dma_buffer_heap_t;

/* Number of DMA channels on the chip; playback claims two. */
#define AUDIO_DMA_CHANNEL_COUNT 12

/* What reached the output register. */
typedef struct audio_dma_sink_t {
    uint64_t bytes_written;
    int64_t sample_sum; /* sum of the output samples read as the output's signedness and width */
    int32_t min_sample;
    int32_t max_sample;
} audio_dma_sink_t;

typedef struct audio_dma_t {
    audiosample_t *sample;
    dma_buffer_heap_t buffer_heap;
    uint8_t *buffer[2];
    size_t buffer_length[2]; /* allocated bytes */
    size_t output_length[2]; /* converted bytes waiting in the buffer (the DMA transfer count) */
    bool buffer_loaded[2];
    int channel[2]; /* claimed DMA channels, -1 when none */
    uint8_t next_buffer; /* the buffer the hardware plays next */
    bool single_buffer;  /* the sample comes in one buffer: only buffer[0] is played */
    bool sample_exhausted;
    bool loop;
    bool single_channel_output;
    bool signed_to_unsigned;
    bool unsigned_to_signed;
    bool output_signed;
    bool swap_channel;
    bool playing_in_progress;
    uint8_t audio_channel;
    uint8_t output_resolution;
    uint8_t sample_resolution;
    uint8_t sample_spacing;
    uint32_t output_register_address;
    uint8_t dma_trigger_source;
    audio_dma_result source_result; /* set when the sample failed during playback */
    uint32_t blocks_played;
    audio_dma_sink_t sink;
} audio_dma_t;

/* A stopped dma with no buffers, taking its buffers from `buffer_heap`. */
void audio_dma_init(audio_dma_t *dma, dma_buffer_heap_t buffer_heap);

/* Prepares playback of `sample`: claims two DMA channels, (re)allocates the conversion buffers to the
 * length the conversion needs and loads the first block(s). On AUDIO_DMA_MEMORY_ERROR the buffers that
 * could not be allocated are NULL; on AUDIO_DMA_NOT_DMA_CAPABLE they are allocated but outside SRAM;
 * audio_dma_stop/audio_dma_deinit clean up as after any setup. */
audio_dma_result audio_dma_setup_playback(audio_dma_t *dma, audiosample_t *sample, bool loop,
                                          bool single_channel_output, uint8_t audio_channel, bool output_signed,
                                          uint8_t output_resolution, uint32_t output_register_address,
                                          uint8_t dma_trigger_source, bool swap_channel);

/* Plays up to `max_blocks` loaded buffers into the sink, refilling each from the sample as its transfer
 * completes. Returns the number played; playback ends by itself at the end of a non-looping sample. */
uint32_t audio_dma_service(audio_dma_t *dma, uint32_t max_blocks);

/* Converts `input_length` bytes of sample data into `output` per dma's conversion settings. Returns the
 * bytes written, or 0 when they would not fit in `output_capacity` ("Internal audio buffer too small"). */
size_t audio_dma_convert_samples(const audio_dma_t *dma, const uint8_t *input, uint32_t input_length,
                                 uint8_t *output, size_t output_capacity);

/* (Re)allocates dma->buffer[index] to `length` bytes from the dma's heap (m_realloc or port_realloc);
 * NULL when that heap cannot hold it, the old buffer then being untouched. Used by setup only. */
uint8_t *dma_buffer_realloc(audio_dma_t *dma, size_t index, size_t length);

/* Ends playback and releases the DMA channels. Holds onto the buffers, as the original does, so the next
 * setup reuses them. */
void audio_dma_stop(audio_dma_t *dma);

/* Stops and frees the buffers. */
void audio_dma_deinit(audio_dma_t *dma);

bool audio_dma_get_playing(const audio_dma_t *dma);

/* The message CircuitPython raises (RuntimeError) for a setup result; NULL for AUDIO_DMA_OK. */
const char *audio_dma_result_message(audio_dma_result result);

#ifdef __cplusplus
}
#endif

#endif
