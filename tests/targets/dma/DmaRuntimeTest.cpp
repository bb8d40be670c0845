// The CircuitPython DMA port without the tool: both heaps, the platform split, buffer sizing and the
// sample conversion of audio_dma, and the original failure on the RP2040's port heap.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "audio_dma.h"
#include "platform.h"
#include "port_heap.h"
#include "vm_heap.h"

namespace {

constexpr uint32_t kRate = 16000;
constexpr uint32_t kBlockFrames = 512;

audiosample_format_t format(const char* name) {
    audiosample_format_t parsed{};
    REQUIRE(audiosample_parse_format(name, &parsed));
    return parsed;
}

// Boots the board's heaps for one test and tears them down after it.
struct Board {
    explicit Board(Platform platform) { platform_init(platform); }
    ~Board() { platform_deinit(); }
};

// I2S as dma_port drives it: 16-bit signed, both channels.
audio_dma_result setupI2s(audio_dma_t* dma, audiosample_t* sample) {
    return audio_dma_setup_playback(dma, sample, false, false, 0, true, 16, 0, 0, false);
}

void playToEnd(audio_dma_t* dma) {
    for (int guard = 0; audio_dma_get_playing(dma) && guard < 100000; guard++) audio_dma_service(dma, 1);
    REQUIRE_FALSE(audio_dma_get_playing(dma));
}

// A stopped dma with the given conversion settings, for audio_dma_convert_samples alone.
audio_dma_t converter(uint8_t sample_resolution, uint8_t output_resolution, bool signed_to_unsigned,
                      bool unsigned_to_signed, uint8_t spacing) {
    audio_dma_t dma;
    audio_dma_init(&dma, DMA_BUFFER_HEAP_VM);
    dma.sample_resolution = sample_resolution;
    dma.output_resolution = output_resolution;
    dma.signed_to_unsigned = signed_to_unsigned;
    dma.unsigned_to_signed = unsigned_to_signed;
    dma.output_signed = unsigned_to_signed || (!signed_to_unsigned && sample_resolution > 8);
    dma.sample_spacing = spacing;
    return dma;
}

std::vector<int16_t> words(const std::vector<uint8_t>& bytes, size_t length) {
    std::vector<int16_t> out(length / 2);
    std::memcpy(out.data(), bytes.data(), length);
    return out;
}

}  // namespace

TEST_CASE("port heap: first fit, fragmentation, realloc in place or moved, failure leaves the block", "[dma]") {
    port_heap_init(4096, 0);
    void* a = port_realloc(nullptr, 1000, true);  // rounded to 1000 (multiple of 8)
    void* b = port_realloc(nullptr, 1000, true);
    void* c = port_realloc(nullptr, 1000, true);
    REQUIRE((a && b && c));
    CHECK(port_heap_free_bytes() == 4096 - 3000);
    port_free(b);
    CHECK(port_heap_largest_free_block() == 1096);  // the tail: 1096 > the 1000-byte hole
    void* d = port_realloc(nullptr, 900, true);           // first fit: the hole where b was
    REQUIRE(d != nullptr);
    CHECK(port_heap_largest_free_block() == 1096);
    CHECK(port_realloc(nullptr, 2000, true) == nullptr);  // 1196 bytes free in total, no gap of 2000
    std::memset(a, 0x5a, 1000);
    void* grown = port_realloc(a, 1050, true);  // d sits right after a: moved to the 1096-byte tail
    REQUIRE(grown != nullptr);
    CHECK(static_cast<unsigned char*>(grown)[999] == 0x5a);
    CHECK(port_heap_block_count() == 3);
    CHECK(port_realloc(grown, 3000, true) == nullptr);  // too big: the block stays valid
    CHECK(port_heap_block_count() == 3);
    port_heap_deinit();
    CHECK(port_heap_block_count() == 0);
}

TEST_CASE("boot leaves the RP2040 port heap small and fragmented, the RP2350's roomy", "[dma]") {
    {
        Board board(PLATFORM_RP2040);
        CHECK(port_heap_free_bytes() == 4096);
        CHECK(port_heap_largest_free_block() == 512);
    }
    {
        Board board(PLATFORM_RP2350);
        // The last boot block was one of those freed, so its hole joins the 96 KiB never used.
        CHECK(port_heap_largest_free_block() == 96 * 1024 + 512);
    }
}

TEST_CASE("VM heap: m_realloc keeps to the budget and counts what is in use", "[dma]") {
    vm_heap_init(1000, MEMORY_REGION_SRAM);
    void* block = m_realloc(nullptr, 0, 600);
    REQUIRE(block != nullptr);
    CHECK(vm_heap_used() == 600);
    CHECK(m_realloc(nullptr, 0, 500) == nullptr);
    block = m_realloc(block, 600, 900);
    REQUIRE(block != nullptr);
    CHECK(vm_heap_used() == 900);
    m_free(block, 900);
    CHECK(vm_heap_used() == 0);
    vm_heap_deinit();
}

TEST_CASE("the bug is the heap choice: buggy takes the port heap everywhere, fixed chooses per board", "[dma]") {
    CHECK(dma_buffer_heap_for(PLATFORM_RP2040, DMA_VARIANT_BUGGY) == DMA_BUFFER_HEAP_PORT);
    CHECK(dma_buffer_heap_for(PLATFORM_RP2350, DMA_VARIANT_BUGGY) == DMA_BUFFER_HEAP_PORT);
    CHECK(dma_buffer_heap_for(PLATFORM_RP2040, DMA_VARIANT_FIXED) == DMA_BUFFER_HEAP_VM);
    CHECK(dma_buffer_heap_for(PLATFORM_RP2350, DMA_VARIANT_FIXED) == DMA_BUFFER_HEAP_PORT);
}

TEST_CASE("port heap: with PSRAM a block that need not be DMA-capable goes there, a DMA-capable one stays in SRAM",
          "[dma]") {
    port_heap_init(4096, 8192);
    void* sram = port_realloc(nullptr, 1000, true);
    void* psram = port_realloc(nullptr, 6000, false);
    REQUIRE((sram && psram));
    CHECK(port_buffer_is_dma_capable(sram));
    CHECK_FALSE(port_buffer_is_dma_capable(psram));
    CHECK(port_heap_free_bytes() == 4096 - 1000);  // the PSRAM block took nothing of the SRAM arena
    CHECK(port_heap_psram_used() == 6000);
    CHECK(port_realloc(nullptr, 4000, false) == nullptr);  // past the PSRAM budget
    psram = port_realloc(psram, 8000, false);              // grows where it lies
    REQUIRE(psram != nullptr);
    CHECK_FALSE(port_buffer_is_dma_capable(psram));
    port_free(psram);
    CHECK(port_heap_psram_used() == 0);
    port_heap_deinit();

    port_heap_init(4096, 0);  // no PSRAM (the RP2040): everything is SRAM
    void* block = port_realloc(nullptr, 1000, false);
    CHECK(port_buffer_is_dma_capable(block));
    port_heap_deinit();
}

TEST_CASE("RP2350: the VM heap is in PSRAM, so only port_realloc(dma_capable=true) gives the DMA its buffers",
          "[dma]") {
    Board board(PLATFORM_RP2350);
    CHECK(vm_heap_region() == MEMORY_REGION_PSRAM);
    audiosample_t* sample = audiosample_new_synthetic(format("u8-mono"), kRate, 4000, false, kBlockFrames);
    // What m_realloc (the RP2040's choice, and the code before PR 10240) would do here: PSRAM buffers.
    audio_dma_t from_vm;
    audio_dma_init(&from_vm, DMA_BUFFER_HEAP_VM);
    CHECK(setupI2s(&from_vm, sample) == AUDIO_DMA_NOT_DMA_CAPABLE);
    audio_dma_deinit(&from_vm);
    CHECK(vm_heap_used() == 0);
    // The port allocator, DMA-capable: SRAM buffers, and playback works.
    audio_dma_t from_port;
    audio_dma_init(&from_port, DMA_BUFFER_HEAP_PORT);
    REQUIRE(setupI2s(&from_port, sample) == AUDIO_DMA_OK);
    CHECK(port_buffer_is_dma_capable(from_port.buffer[0]));
    CHECK(port_buffer_is_dma_capable(from_port.buffer[1]));
    playToEnd(&from_port);
    audio_dma_deinit(&from_port);
    audiosample_free(sample);
}

TEST_CASE("on the RP2040 the port heap cannot hold the conversion buffers: the original error", "[dma]") {
    Board board(PLATFORM_RP2040);
    for (const char* name : {"u8-mono", "u8-stereo", "s16-mono", "s16-stereo"}) {
        INFO(name);
        audiosample_t* sample = audiosample_new_synthetic(format(name), kRate, 4000, false, kBlockFrames);
        audio_dma_t dma;
        audio_dma_init(&dma, DMA_BUFFER_HEAP_PORT);
        audio_dma_result result = setupI2s(&dma, sample);
        CHECK(result == AUDIO_DMA_MEMORY_ERROR);
        CHECK(std::string(audio_dma_result_message(result)) == "Unable to allocate buffers for signed conversion");
        CHECK(dma.buffer[0] == nullptr);
        audio_dma_deinit(&dma);
        audiosample_free(sample);
    }
    CHECK(port_heap_free_bytes() == 4096);  // the failed attempts took nothing
}

TEST_CASE("8-bit unsigned mono to 16-bit signed I2S: doubled buffers, centred and scaled samples", "[dma]") {
    Board board(PLATFORM_RP2040);
    constexpr uint32_t kFrames = 4000;
    audiosample_t* sample = audiosample_new_synthetic(format("u8-mono"), kRate, kFrames, false, kBlockFrames);
    audio_dma_t dma;
    audio_dma_init(&dma, DMA_BUFFER_HEAP_VM);
    REQUIRE(setupI2s(&dma, sample) == AUDIO_DMA_OK);
    CHECK(dma.unsigned_to_signed);
    CHECK(dma.buffer_length[0] == 2 * kBlockFrames);
    CHECK(dma.buffer_length[1] == 2 * kBlockFrames);
    CHECK(vm_heap_used() == 4 * kBlockFrames);
    playToEnd(&dma);
    CHECK(dma.sink.bytes_written == 2 * kFrames);
    CHECK(dma.blocks_played == (kFrames + kBlockFrames - 1) / kBlockFrames);
    // 128 + 127 * 0.8 rounds to 230: (230 - 128) << 8.
    CHECK(dma.sink.max_sample == 102 * 256);
    CHECK(dma.sink.min_sample == -102 * 256);
    audio_dma_stop(&dma);

    // Another play/stop cycle reuses the same buffers: nothing more is taken from the heap.
    REQUIRE(setupI2s(&dma, sample) == AUDIO_DMA_OK);
    playToEnd(&dma);
    audio_dma_stop(&dma);
    CHECK(vm_heap_used() == 4 * kBlockFrames);
    audio_dma_deinit(&dma);
    CHECK(vm_heap_used() == 0);
    audiosample_free(sample);
}

TEST_CASE("a single-buffer sample uses one buffer and plays in one block", "[dma]") {
    Board board(PLATFORM_RP2350);
    audiosample_t* sample = audiosample_new_synthetic(format("s16-stereo"), kRate, 1000, true, 0);
    audio_dma_t dma;
    audio_dma_init(&dma, DMA_BUFFER_HEAP_PORT);
    REQUIRE(setupI2s(&dma, sample) == AUDIO_DMA_OK);
    CHECK(dma.buffer[1] == nullptr);
    CHECK(dma.buffer_length[0] == 4000);
    playToEnd(&dma);
    CHECK(dma.blocks_played == 1);
    CHECK(dma.sink.bytes_written == 4000);
    audio_dma_deinit(&dma);
    audiosample_free(sample);
}

TEST_CASE("conversion: signedness, widening, one channel of a stereo sample, channel swap", "[dma]") {
    std::vector<uint8_t> out(64);

    audio_dma_t widen = converter(8, 16, false, true, 1);
    const uint8_t unsigned_bytes[] = {0x00, 0x80, 0xff};
    REQUIRE(audio_dma_convert_samples(&widen, unsigned_bytes, 3, out.data(), out.size()) == 6);
    CHECK(words(out, 6) == std::vector<int16_t>{-32768, 0, 32512});

    audio_dma_t to_unsigned = converter(16, 16, true, false, 1);
    const int16_t signed_words[] = {-32768, 0, 32767};
    REQUIRE(audio_dma_convert_samples(&to_unsigned, reinterpret_cast<const uint8_t*>(signed_words), 6, out.data(),
                                      out.size()) == 6);
    uint16_t unsigned_out[3];
    std::memcpy(unsigned_out, out.data(), 6);
    CHECK(unsigned_out[0] == 0);
    CHECK(unsigned_out[1] == 0x8000);
    CHECK(unsigned_out[2] == 0xffff);

    // Right channel of an interleaved stereo sample: start one sample in, step by two.
    audio_dma_t right = converter(16, 16, false, false, 2);
    const int16_t stereo[] = {1, 10, 2, 20, 3, 30};
    REQUIRE(audio_dma_convert_samples(&right, reinterpret_cast<const uint8_t*>(stereo + 1), 12, out.data(),
                                      out.size()) == 6);
    CHECK(words(out, 6) == std::vector<int16_t>{10, 20, 30});

    audio_dma_t swapped = converter(16, 16, false, false, 1);
    swapped.swap_channel = true;
    REQUIRE(audio_dma_convert_samples(&swapped, reinterpret_cast<const uint8_t*>(stereo), 8, out.data(),
                                      out.size()) == 8);
    CHECK(words(out, 8) == std::vector<int16_t>{10, 1, 20, 2});

    // A buffer too small is refused, never overrun.
    CHECK(audio_dma_convert_samples(&widen, unsigned_bytes, 3, out.data(), 5) == 0);
}

TEST_CASE("setup claims two DMA channels and stop gives them back", "[dma]") {
    Board board(PLATFORM_RP2350);
    audiosample_t* sample = audiosample_new_synthetic(format("s16-mono"), kRate, 600, false, kBlockFrames);
    std::vector<audio_dma_t> dmas(AUDIO_DMA_CHANNEL_COUNT / 2 + 1);
    for (size_t i = 0; i + 1 < dmas.size(); i++) {
        audio_dma_init(&dmas[i], DMA_BUFFER_HEAP_PORT);
        REQUIRE(setupI2s(&dmas[i], sample) == AUDIO_DMA_OK);
    }
    audio_dma_t& one_too_many = dmas.back();
    audio_dma_init(&one_too_many, DMA_BUFFER_HEAP_PORT);
    CHECK(setupI2s(&one_too_many, sample) == AUDIO_DMA_DMA_BUSY);
    audio_dma_stop(&dmas[0]);
    CHECK(setupI2s(&one_too_many, sample) == AUDIO_DMA_OK);
    for (size_t i = 1; i < dmas.size(); i++) audio_dma_deinit(&dmas[i]);
    audio_dma_deinit(&dmas[0]);
    audiosample_free(sample);
}
