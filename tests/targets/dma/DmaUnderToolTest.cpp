// dma_port as a user runs it and under the real leakscope: the buggy heap choice fails on the RP2040 with
// the original message, the fixed one plays on both boards without per-cycle growth, and an injected
// failure of the buffer allocation is reported cleanly by the program and listed by the tool.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ToolRun.h"

using namespace leakscope::testing;

namespace {

const std::string kProgram = LEAKSCOPE_TARGET_DMA_PORT;
const std::string kOriginalError = "Unable to allocate buffers for signed conversion\n";
constexpr int kCycles = 8;
constexpr int kExitSetupFailed = 1;  // documented in targets/dma/main.c and docs/targets/dma.md
// u8-mono streamed in 512-frame blocks, widened to 16-bit: each DMA buffer is 1024 bytes.
constexpr int kU8MonoBufferBytes = 1024;
// The buffer-allocation function of the port (targets/dma/audio_dma.c): every conversion buffer, and
// nothing else, is allocated through it, from audio_dma_setup_playback.
const std::string kBufferAllocation = "dma_buffer_realloc";

std::vector<std::string> portArgs(const std::string& platform, const std::string& variant,
                                  const std::string& sample = "u8-mono") {
    return {kProgram, "--cycles", std::to_string(kCycles), "--platform", platform, "--variant", variant,
            "--sample", sample};
}

}  // namespace

TEST_CASE("dma_port without the tool: buggy fails on the RP2040 only, fixed plays on both", "[dma][integration]") {
    ProcessResult buggy_rp2040 = runProcess(portArgs("rp2040", "buggy"));
    CHECK(buggy_rp2040.exit_code == kExitSetupFailed);
    CHECK(buggy_rp2040.err == kOriginalError);

    for (const std::string platform : {"rp2040", "rp2350"}) {
        for (const std::string variant : {"buggy", "fixed"}) {
            if (platform == "rp2040" && variant == "buggy") continue;
            for (const std::string sample : {"u8-mono", "u8-stereo", "s16-mono", "s16-stereo"}) {
                ProcessResult result = runProcess(portArgs(platform, variant, sample));
                INFO(platform << " " << variant << " " << sample << " stderr: " << result.err);
                CHECK(result.exit_code == 0);
                CHECK(result.out.find(std::to_string(kCycles) + " cycles") != std::string::npos);
            }
        }
    }
}

TEST_CASE("dma_port rejects bad flags with one line and exit 2", "[dma][integration]") {
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--platform", "esp32"}, {"--variant", "maybe"}, {"--sample", "f32-mono"}, {"--cycles", "-3"},
             {"--cycles"}, {"--speed", "2"}, {"stray"}}) {
        std::vector<std::string> argv = {kProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("argv: " << bad.front() << " stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("dma_port buggy on the RP2040 under the tool: the original error, no crash",
          "[dma][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), portArgs("rp2040", "buggy"));
    INFO("stderr:\n" << run.process.err);
    CHECK(run.process.exit_code == kExitSetupFailed);  // `run` passes the program's status on
    CHECK(run.process.err.find(kOriginalError) != std::string::npos);
    REQUIRE(run.report.is_object());
    CHECK(findingsOfType(run.report, "growth").empty());
}

TEST_CASE("dma_port fixed under the tool: playback on both boards, no growth over play/stop cycles, gate passes",
          "[dma][integration][tool]") {
    const std::string platform = GENERATE(std::string("rp2040"), std::string("rp2350"));
    const std::string sample = GENERATE(std::string("u8-mono"), std::string("s16-stereo"));
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), portArgs(platform, "fixed", sample));
    INFO(platform << " " << sample << " stderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    INFO("summary: " << run.report["summary"].dump());
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(run.snapshots().size() == kCycles + 1);  // one per play/stop cycle, and the exit snapshot
    for (const auto& leak : findingsOfType(run.report, "exit_leak")) {
        INFO("exit_leak at " << topFunction(leak));
        CHECK_FALSE(stackHasFunction(leak, "audio_dma_setup_playback"));
    }
    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check stdout:\n" << check.out << "stderr:\n" << check.err);
    CHECK(check.exit_code == 0);
}

TEST_CASE("dma_port fixed with the buffer allocation failed by the tool: clean error, injected_failure reported",
          "[dma][integration][tool]") {
    const std::string platform = GENERATE(std::string("rp2040"), std::string("rp2350"));
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), portArgs(platform, "fixed"), {"--fail-alloc", "function=" + kBufferAllocation});
    INFO(platform << " stderr:\n" << run.process.err);
    CHECK(run.process.exit_code == kExitSetupFailed);  // the error path, not a crash (that would be 128+N)
    CHECK(run.process.err.find(kOriginalError) != std::string::npos);
    REQUIRE(run.report.is_object());

    auto injected = findingsOfType(run.report, "injected_failure");
    REQUIRE(injected.size() == 1);
    CHECK(stackHasFunction(injected[0], kBufferAllocation));
    CHECK(stackHasFunction(injected[0], "audio_dma_setup_playback"));
    // The first buffer: setup stops at the first failure, as the original does.
    CHECK(injected[0].value("size", 0) == kU8MonoBufferBytes);
    CHECK(injected[0].value("count", 0) == 1);
    // The allocator of the board's fixed choice made the request.
    CHECK(stackHasFunction(injected[0], platform == "rp2040" ? "m_realloc" : "port_realloc"));
}

TEST_CASE("dma_port fixed with only the second buffer failed: clean error, the first buffer is freed",
          "[dma][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runUnderTool(dir.path(), portArgs("rp2040", "fixed"),
                               {"--fail-alloc", "function=" + kBufferAllocation + ",nth=2"});
    INFO("stderr:\n" << run.process.err);
    CHECK(run.process.exit_code == kExitSetupFailed);
    CHECK(run.process.err.find(kOriginalError) != std::string::npos);
    REQUIRE(run.report.is_object());
    auto injected = findingsOfType(run.report, "injected_failure");
    REQUIRE(injected.size() == 1);
    CHECK(stackHasFunction(injected[0], kBufferAllocation));
    // buffer[0] was allocated before buffer[1] failed; deinit after the error must free it.
    for (const auto& leak : findingsOfType(run.report, "exit_leak")) {
        INFO("exit_leak at " << topFunction(leak));
        CHECK_FALSE(stackHasFunction(leak, kBufferAllocation));
    }
}
