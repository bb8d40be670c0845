// The AFE's echo canceller does real work on the synthetic scene, and one instance is the size the leak
// test states (targets/algo_stream/afe_nlms.c, source_signal.c).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "afe_interface.h"
#include "afe_nlms.h"
#include "sources.h"

namespace {

constexpr int kChunk = AFE_FEED_CHUNK_SAMPLES;
constexpr int kChunksPerSecond = AFE_SAMPLE_RATE / kChunk;  // 62 (0.992 s)

struct EchoMeasurement {
    double echo_energy = 0;     // the echo in the microphone signal
    double residual_energy = 0; // the echo left in the output: output minus the near-end part of mic
    double erleDb() const { return 10.0 * std::log10(echo_energy / residual_energy); }
};

// Feeds `seconds` of the scene through one AFE instance (only the canceller on, or nothing at all) and
// measures the echo before and after it from `from_second` on: after the filter has converged.
EchoMeasurement runScene(bool aec_on, int seconds, int from_second) {
    signal_synth_t synth;
    signal_synth_init(&synth, 20240611u);  // the seed algo_pipeline's source uses
    afe_config_t* config = afe_config_init("MR", nullptr, AFE_TYPE_SR, AFE_MODE_LOW_COST);
    REQUIRE(config);
    config->aec_init = aec_on;
    config->ns_init = false;
    config->vad_init = false;
    config->agc_init = false;
    const esp_afe_sr_iface_t* afe_handle = esp_afe_handle_from_config(config);
    esp_afe_sr_data_t* afe = afe_handle->create_from_config(config);
    afe_config_free(config);
    REQUIRE(afe);
    REQUIRE(afe_handle->get_feed_chunksize(afe) == kChunk);
    REQUIRE(afe_handle->get_feed_channel_num(afe) == 2);

    std::vector<int16_t> mic(kChunk), ref(kChunk), interleaved(2 * kChunk);
    std::vector<float> echo(kChunk), near_end(kChunk);
    EchoMeasurement measured;
    for (int chunk = 0; chunk < seconds * kChunksPerSecond; ++chunk) {
        signal_synth_next(&synth, mic.data(), ref.data(), echo.data(), near_end.data(), kChunk);
        for (int n = 0; n < kChunk; ++n) {
            interleaved[2 * n] = mic[n];
            interleaved[2 * n + 1] = ref[n];
        }
        REQUIRE(afe_handle->feed(afe, interleaved.data()) == kChunk);
        afe_fetch_result_t* result = afe_handle->fetch(afe);
        REQUIRE(result->data_size == kChunk * 2);
        if (chunk < from_second * kChunksPerSecond) continue;
        for (int n = 0; n < kChunk; ++n) {
            double residual = result->data[n] / 32768.0 - near_end[n];
            measured.echo_energy += double(echo[n]) * echo[n];
            measured.residual_energy += residual * residual;
        }
    }
    afe_handle->destroy(afe);
    return measured;
}

}  // namespace

// Measured on this machine: 28.0 dB over seconds 2..8 (per second 25..33 dB; the first second, while
// the 256 taps converge, about 11 dB). The scene has near-end speech about as loud as the echo, in
// bursts, so the double-talk detector is exercised too. The bound leaves room for compiler and libm
// differences while still failing for a canceller that merely does something (e.g. a frozen or a
// diverging filter gives < 12 dB).
TEST_CASE("afe: the NLMS echo canceller lowers the echo by at least 20 dB after convergence") {
    EchoMeasurement measured = runScene(true, 8, 2);
    INFO("ERLE " << measured.erleDb() << " dB");
    CHECK(measured.erleDb() >= 20.0);
}

TEST_CASE("afe: without the canceller the echo passes through (ERLE about 0 dB)") {
    EchoMeasurement measured = runScene(false, 3, 1);
    INFO("ERLE " << measured.erleDb() << " dB");
    CHECK(std::fabs(measured.erleDb()) < 0.5);
}

// The leak test states the bytes of one instance; these are the same numbers, from the same config.
TEST_CASE("afe: one instance of the algo_pipeline config is 6060 bytes in five blocks") {
    afe_config_t* config = afe_config_init("MR", nullptr, AFE_TYPE_VC, AFE_MODE_LOW_COST);
    REQUIRE(config);
    CHECK(config->aec_filter_length == 256);
    CHECK(config->feed_chunk_samples == 256);
    CHECK(config->fetch_queue_frames == 4);
    CHECK(afe_nlms_instance_bytes(config->aec_filter_length, config->feed_chunk_samples,
                                  config->fetch_queue_frames) ==
          AFE_NLMS_INSTANCE_STRUCT_BYTES + 256 * 4 + (256 - 1 + 256) * 4 + 4 * 256 * 2 + 256 * 2);
    CHECK(AFE_NLMS_INSTANCE_STRUCT_BYTES == 432);
    afe_config_free(config);
}

TEST_CASE("afe: configs the NLMS front end cannot serve are refused") {
    CHECK(afe_config_init("RR", nullptr, AFE_TYPE_SR, AFE_MODE_LOW_COST) == nullptr);  // no microphone
    CHECK(afe_config_init("MMR", nullptr, AFE_TYPE_SR, AFE_MODE_LOW_COST) == nullptr); // two microphones
    CHECK(afe_config_init("MX", nullptr, AFE_TYPE_SR, AFE_MODE_LOW_COST) == nullptr);  // unknown channel
    afe_config_t* config = afe_config_init("MR", nullptr, AFE_TYPE_SR, AFE_MODE_LOW_COST);
    REQUIRE(config);
    config->fetch_queue_frames = AFE_MAX_FETCH_QUEUE_FRAMES + 1;
    CHECK(afe_nlms_create_from_config(config) == nullptr);
    afe_config_free(config);
}
