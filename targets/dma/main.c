/* dma_port --cycles N --platform rp2040|rp2350 --variant buggy|fixed [--sample FORMAT] [--frames F]
 *
 * Runs N cycles of an I2SOut's life, as a script doing `with I2SOut(...) as i2s: play, stop, play, stop`
 * would: construct, PLAYS_PER_CYCLE times play the synthetic sample to its end and stop (stop holds onto
 * the buffers, so the next play reallocates them in place), then deinit, which frees them. So every
 * cycle frees what it allocated; leakscope_snapshot("cycle") follows each deinit.
 * Exit codes: 0 every cycle played; 1 playback could not start — the original RuntimeError message
 * ("Unable to allocate buffers for signed conversion", "No DMA channel found", "Audio source error")
 * as one line on stderr; 2 bad command line. */
#include <errno.h>
#include <inttypes.h>
#include <leakscope/leakscope.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_dma.h"
#include "platform.h"
#include "port_heap.h"
#include "vm_heap.h"

typedef struct Options {
    long cycles;
    long frames;
    Platform platform;
    DmaVariant variant;
    const char *sample_name;
    audiosample_format_t sample_format;
} Options;

enum { SAMPLE_RATE = 16000, BLOCK_FRAMES = 512 };

/* Plays per I2SOut: more than one, so the buffers audio_dma_stop keeps are reused by the next setup. */
enum { PLAYS_PER_CYCLE = 2 };

static const char usage[] =
    "usage: dma_port --cycles N --platform rp2040|rp2350 --variant buggy|fixed "
    "[--sample u8-mono|u8-stereo|s16-mono|s16-stereo] [--frames F]";

static void usage_error(const char *what, const char *value)
{
    fprintf(stderr, "dma_port: %s \"%s\" (%s)\n", what, value, usage);
    exit(2);
}

static long parse_count(const char *flag, const char *text, long max)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1 || value > max) {
        fprintf(stderr, "dma_port: %s wants a whole number from 1 to %ld, got \"%s\"\n", flag, max, text);
        exit(2);
    }
    return value;
}

static Options parse_options(int argc, char **argv)
{
    Options options = { .cycles = 20, .frames = 4000, .platform = PLATFORM_RP2040, .variant = DMA_VARIANT_FIXED,
                        .sample_name = "u8-mono" };
    audiosample_parse_format(options.sample_name, &options.sample_format);
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0) {
            printf("%s\n", usage);
            exit(0);
        }
        if (strncmp(flag, "--", 2) != 0) {
            usage_error("unexpected argument", flag);
        }
        if (i + 1 >= argc) {
            usage_error("missing value for", flag);
        }
        const char *value = argv[i + 1];
        if (strcmp(flag, "--cycles") == 0) {
            options.cycles = parse_count(flag, value, 1000000);
        } else if (strcmp(flag, "--frames") == 0) {
            options.frames = parse_count(flag, value, 10 * SAMPLE_RATE);
        } else if (strcmp(flag, "--platform") == 0) {
            if (!platform_parse(value, &options.platform)) {
                usage_error("--platform must be rp2040 or rp2350, got", value);
            }
        } else if (strcmp(flag, "--variant") == 0) {
            if (strcmp(value, "buggy") != 0 && strcmp(value, "fixed") != 0) {
                usage_error("--variant must be buggy or fixed, got", value);
            }
            options.variant = strcmp(value, "buggy") == 0 ? DMA_VARIANT_BUGGY : DMA_VARIANT_FIXED;
        } else if (strcmp(flag, "--sample") == 0) {
            if (!audiosample_parse_format(value, &options.sample_format)) {
                usage_error("--sample must be u8-mono, u8-stereo, s16-mono or s16-stereo, got", value);
            }
            options.sample_name = value;
        } else {
            usage_error("unknown option", flag);
        }
    }
    return options;
}

/* common_hal_audiobusio_i2sout_play: 16-bit signed stereo I2S, playing both channels of the sample. */
static audio_dma_result i2sout_play(audio_dma_t *dma, audiosample_t *sample)
{
    enum { I2S_FIFO_REGISTER = 0x50200010, I2S_DREQ = 0 };
    audio_dma_result result = audio_dma_setup_playback(dma, sample, false, false, 0, true, 16, I2S_FIFO_REGISTER,
                                                       I2S_DREQ, false);
    if (result != AUDIO_DMA_OK) {
        audio_dma_stop(dma);
    }
    return result;
}

/* What the summary line reports of the last play. */
typedef struct PlaySummary {
    size_t buffer_length;
    audio_dma_sink_t sink;
} PlaySummary;

/* One I2SOut from construction to deinit: PLAYS_PER_CYCLE plays, each to the end of the sample and
 * stopped. */
static audio_dma_result i2sout_cycle(dma_buffer_heap_t heap, audiosample_t *sample, uint64_t *blocks,
                                     PlaySummary *last)
{
    audio_dma_t dma;
    audio_dma_init(&dma, heap);
    audio_dma_result result = AUDIO_DMA_OK;
    for (int play = 0; play < PLAYS_PER_CYCLE; play++) {
        result = i2sout_play(&dma, sample);
        if (result != AUDIO_DMA_OK) {
            break; /* i2sout_play has stopped already, as the original's play does before raising */
        }
        while (audio_dma_get_playing(&dma)) {
            *blocks += audio_dma_service(&dma, 8);
        }
        audio_dma_stop(&dma);
        *last = (PlaySummary) { .buffer_length = dma.buffer_length[0], .sink = dma.sink };
    }
    audio_dma_deinit(&dma);
    return result;
}

int main(int argc, char **argv)
{
    Options options = parse_options(argc, argv);
    platform_init(options.platform);
    audiosample_t *sample =
        audiosample_new_synthetic(options.sample_format, SAMPLE_RATE, (uint32_t) options.frames, false, BLOCK_FRAMES);
    if (sample == NULL) {
        fprintf(stderr, "dma_port: out of memory creating the sample\n");
        platform_deinit();
        return 1;
    }
    dma_buffer_heap_t heap = dma_buffer_heap_for(options.platform, options.variant);
    PlaySummary last = { 0 };
    int status = 0;
    uint64_t blocks = 0;
    for (long cycle = 1; cycle <= options.cycles; cycle++) {
        audio_dma_result result = i2sout_cycle(heap, sample, &blocks, &last);
        if (result != AUDIO_DMA_OK) {
            /* As the Python script would see it: a RuntimeError with the original text. */
            fprintf(stderr, "%s\n", audio_dma_result_message(result));
            status = 1;
            break;
        }
        leakscope_snapshot("cycle");
    }
    if (status == 0) {
        printf("dma_port: %s, variant %s, sample %s: %ld cycles of %d plays, %" PRIu64
               " blocks, buffers 2 x %zu bytes from the %s heap\n",
               platform_name(options.platform), options.variant == DMA_VARIANT_BUGGY ? "buggy" : "fixed",
               options.sample_name, options.cycles, PLAYS_PER_CYCLE, blocks, last.buffer_length,
               heap == DMA_BUFFER_HEAP_VM ? "VM" : "port");
        printf("last play: %" PRIu64 " bytes to I2S, samples from %" PRId32 " to %" PRId32 "\n",
               last.sink.bytes_written, last.sink.min_sample, last.sink.max_sample);
    } else {
        printf("dma_port: port heap has %zu bytes free, largest block %zu; VM heap %zu of %zu bytes used\n",
               port_heap_free_bytes(), port_heap_largest_free_block(), vm_heap_used(), vm_heap_capacity());
    }
    audiosample_free(sample);
    platform_deinit();
    return status;
}
