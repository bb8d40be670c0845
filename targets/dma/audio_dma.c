#include "audio_dma.h"

#include <string.h>

#include "port_heap.h"
#include "vm_heap.h"

/* The chip's DMA channels, shared by every audio_dma (one bit per claimed channel). */
static uint32_t claimed_channels;

static int dma_claim_unused_channel(void)
{
    for (int channel = 0; channel < AUDIO_DMA_CHANNEL_COUNT; channel++) {
        if ((claimed_channels & (1u << channel)) == 0) {
            claimed_channels |= 1u << channel;
            return channel;
        }
    }
    return -1;
}

static void dma_channel_unclaim(int channel)
{
    if (channel >= 0) {
        claimed_channels &= ~(1u << channel);
    }
}

void audio_dma_init(audio_dma_t *dma, dma_buffer_heap_t buffer_heap)
{
    memset(dma, 0, sizeof *dma);
    dma->buffer_heap = buffer_heap;
    dma->channel[0] = -1;
    dma->channel[1] = -1;
}

/* The buffer-allocation function: the one place that picks the allocator. Realloc semantics, so a NULL
 * result leaves nothing behind except what the caller overwrites (as the original, which assigns the
 * result straight back). The original has this inline in audio_dma_setup_playback; here it is a frame of
 * its own (no inlining, no .constprop clone) so that `--fail-alloc function=dma_buffer_realloc` hits the
 * conversion buffers and nothing else. */
__attribute__((noinline, noclone)) uint8_t *dma_buffer_realloc(audio_dma_t *dma, size_t index, size_t length)
{
    if (dma->buffer_heap == DMA_BUFFER_HEAP_PORT) {
        return port_realloc(dma->buffer[index], length, true);
    }
    return m_realloc(dma->buffer[index], dma->buffer_length[index], length);
}

/* Whether the DMA may read buffer `index`: a port block in SRAM, or any VM block when the VM heap is in
 * SRAM. */
static bool dma_buffer_is_dma_capable(const audio_dma_t *dma, size_t index)
{
    if (dma->buffer_heap == DMA_BUFFER_HEAP_PORT) {
        return port_buffer_is_dma_capable(dma->buffer[index]);
    }
    return memory_region_is_dma_capable(vm_heap_region());
}

static void dma_buffer_free(audio_dma_t *dma, size_t index)
{
    if (dma->buffer_heap == DMA_BUFFER_HEAP_PORT) {
        port_free(dma->buffer[index]);
    } else {
        m_free(dma->buffer[index], dma->buffer_length[index]);
    }
    dma->buffer[index] = NULL;
    dma->buffer_length[index] = 0;
}

/* The interrupt handler's half: fill buffer `index` with the next converted block of the sample. */
static void audio_dma_load_next_block(audio_dma_t *dma, size_t index)
{
    if (dma->sample_exhausted) {
        if (!dma->loop) {
            return;
        }
        audiosample_reset_buffer(dma->sample, dma->single_channel_output, dma->audio_channel);
        dma->sample_exhausted = false;
    }
    uint8_t *block = NULL;
    uint32_t block_length = 0;
    audioio_get_buffer_result_t result = audiosample_get_buffer(dma->sample, dma->single_channel_output,
                                                                dma->audio_channel, &block, &block_length);
    size_t converted = result == GET_BUFFER_ERROR
                           ? 0
                           : audio_dma_convert_samples(dma, block, block_length, dma->buffer[index],
                                                       dma->buffer_length[index]);
    if (converted == 0) {
        dma->source_result = AUDIO_DMA_SOURCE_ERROR;
        audio_dma_stop(dma);
        return;
    }
    dma->output_length[index] = converted;
    dma->buffer_loaded[index] = true;
    dma->sample_exhausted = result == GET_BUFFER_DONE;
}

__attribute__((noinline)) audio_dma_result audio_dma_setup_playback(
    audio_dma_t *dma, audiosample_t *sample, bool loop, bool single_channel_output, uint8_t audio_channel,
    bool output_signed, uint8_t output_resolution, uint32_t output_register_address, uint8_t dma_trigger_source,
    bool swap_channel)
{
    /* Two chained channels, because the DMA cannot wrap to itself unless the buffer is power-of-two
     * aligned. */
    dma->channel[0] = dma_claim_unused_channel();
    dma->channel[1] = dma_claim_unused_channel();
    if (dma->channel[0] < 0 || dma->channel[1] < 0) {
        audio_dma_stop(dma);
        return AUDIO_DMA_DMA_BUSY;
    }
    dma->sample = sample;
    dma->loop = loop;
    dma->single_channel_output = single_channel_output;
    dma->audio_channel = audio_channel;
    dma->signed_to_unsigned = false;
    dma->unsigned_to_signed = false;
    dma->output_signed = output_signed;
    dma->sample_spacing = 1;
    dma->output_resolution = output_resolution;
    dma->sample_resolution = audiosample_get_bits_per_sample(sample);
    dma->output_register_address = output_register_address;
    dma->dma_trigger_source = dma_trigger_source;
    dma->swap_channel = swap_channel;
    dma->sample_exhausted = false;
    dma->source_result = AUDIO_DMA_OK;
    dma->buffer_loaded[0] = dma->buffer_loaded[1] = false;
    dma->next_buffer = 0;
    memset(&dma->sink, 0, sizeof dma->sink);

    audiosample_reset_buffer(sample, single_channel_output, audio_channel);

    bool single_buffer;
    bool samples_signed;
    uint32_t max_buffer_length;
    audiosample_get_buffer_structure(sample, single_channel_output, &single_buffer, &samples_signed,
                                     &max_buffer_length, &dma->sample_spacing);
    dma->single_buffer = single_buffer;

    /* 8-bit samples to a wider output take two bytes per sample. */
    if (dma->sample_resolution <= 8 && dma->output_resolution > 8) {
        max_buffer_length *= 2;
    }
    if (output_signed != samples_signed || dma->sample_spacing > 1
        || dma->sample_resolution != dma->output_resolution) {
        max_buffer_length /= dma->sample_spacing;
    }

    dma->buffer[0] = dma_buffer_realloc(dma, 0, max_buffer_length);
    dma->buffer_length[0] = dma->buffer[0] != NULL ? max_buffer_length : 0;
    if (dma->buffer[0] == NULL) {
        return AUDIO_DMA_MEMORY_ERROR;
    }
    if (!single_buffer) {
        dma->buffer[1] = dma_buffer_realloc(dma, 1, max_buffer_length);
        dma->buffer_length[1] = dma->buffer[1] != NULL ? max_buffer_length : 0;
        if (dma->buffer[1] == NULL) {
            return AUDIO_DMA_MEMORY_ERROR;
        }
    }

    /* The channels are about to be pointed at the buffers: the model's DMA reads only SRAM. */
    if (!dma_buffer_is_dma_capable(dma, 0) || (!single_buffer && !dma_buffer_is_dma_capable(dma, 1))) {
        return AUDIO_DMA_NOT_DMA_CAPABLE;
    }

    dma->signed_to_unsigned = !output_signed && samples_signed;
    dma->unsigned_to_signed = output_signed && !samples_signed;

    dma->playing_in_progress = true;
    audio_dma_load_next_block(dma, 0);
    if (!single_buffer) {
        audio_dma_load_next_block(dma, 1);
    }
    return dma->source_result;
}

/* What the peripheral receives from one completed transfer. */
static void sink_write(audio_dma_t *dma, const uint8_t *data, size_t length)
{
    size_t word_bytes = dma->output_resolution > 8 ? 2 : 1;
    for (size_t i = 0; i + word_bytes <= length; i += word_bytes) {
        int32_t value;
        if (word_bytes == 2) {
            uint16_t word;
            memcpy(&word, data + i, sizeof word);
            value = dma->output_signed ? (int32_t) (int16_t) word : (int32_t) word;
        } else {
            value = dma->output_signed ? (int32_t) (int8_t) data[i] : (int32_t) data[i];
        }
        bool first = dma->sink.bytes_written == 0 && i == 0;
        dma->sink.min_sample = first || value < dma->sink.min_sample ? value : dma->sink.min_sample;
        dma->sink.max_sample = first || value > dma->sink.max_sample ? value : dma->sink.max_sample;
        dma->sink.sample_sum += value;
    }
    dma->sink.bytes_written += length;
}

__attribute__((noinline)) uint32_t audio_dma_service(audio_dma_t *dma, uint32_t max_blocks)
{
    uint32_t played = 0;
    while (dma->playing_in_progress && played < max_blocks) {
        uint8_t index = dma->next_buffer;
        if (!dma->buffer_loaded[index]) {
            /* Both channels drained and nothing left to load: the chain ends. */
            dma->playing_in_progress = false;
            break;
        }
        sink_write(dma, dma->buffer[index], dma->output_length[index]);
        dma->buffer_loaded[index] = false;
        played++;
        dma->blocks_played++;
        audio_dma_load_next_block(dma, index);
        dma->next_buffer = dma->single_buffer ? 0 : (uint8_t) (index ^ 1);
    }
    return played;
}

__attribute__((noinline)) void audio_dma_stop(audio_dma_t *dma)
{
    dma_channel_unclaim(dma->channel[0]);
    dma_channel_unclaim(dma->channel[1]);
    dma->channel[0] = -1;
    dma->channel[1] = -1;
    dma->playing_in_progress = false;
    dma->buffer_loaded[0] = dma->buffer_loaded[1] = false;
    /* Hold onto the buffers: the next setup reallocates them in place. */
}

__attribute__((noinline)) void audio_dma_deinit(audio_dma_t *dma)
{
    audio_dma_stop(dma);
    dma_buffer_free(dma, 0);
    dma_buffer_free(dma, 1);
}

bool audio_dma_get_playing(const audio_dma_t *dma)
{
    return dma->playing_in_progress;
}

const char *audio_dma_result_message(audio_dma_result result)
{
    switch (result) {
        case AUDIO_DMA_OK:
            return NULL;
        case AUDIO_DMA_DMA_BUSY:
            return "No DMA channel found";
        case AUDIO_DMA_MEMORY_ERROR:
            return "Unable to allocate buffers for signed conversion";
        case AUDIO_DMA_SOURCE_ERROR:
            return "Audio source error";
        case AUDIO_DMA_NOT_DMA_CAPABLE:
            return "DMA buffer not in DMA-capable memory (SRAM)";
    }
    return "Unknown audio DMA error";
}
