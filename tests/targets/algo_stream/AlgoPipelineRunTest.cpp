// algo_pipeline as a program, without the tool: both variants and both input types run their cycles
// and exit 0; bad arguments get one line on stderr and exit 2.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "ProcessRunner.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::runProcess;
using leakscope::testing::TemporaryDirectory;

namespace {

const std::string kProgram = ALGO_PIPELINE_PATH;

ProcessResult runPipeline(std::vector<std::string> args) {
    args.insert(args.begin(), kProgram);
    leakscope::testing::ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    return runProcess(args, options);
}

size_t lineCount(const std::string& text) {
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    return lines;
}

}  // namespace

TEST_CASE("algo_pipeline: both variants, input types and lifecycles run their cycles and exit 0") {
    for (const char* variant : {"buggy", "fixed"}) {
        for (const char* input_type : {"1", "2"}) {
            for (const std::string lifecycle : {"pause", "stop"}) {
                ProcessResult result = runPipeline(
                    {"--cycles", "5", "--variant", variant, "--input-type", input_type, "--lifecycle", lifecycle});
                INFO(variant << " input type " << input_type << " " << lifecycle << ": " << result.err);
                CHECK_FALSE(result.timed_out);
                CHECK(result.exit_code == 0);
                CHECK(result.err.find("5 cycles (" + std::string(variant)) != std::string::npos);
                CHECK(result.err.find(lifecycle == "stop" ? "stop/run)" : "pause/resume)") != std::string::npos);
            }
        }
    }
}

TEST_CASE("algo_pipeline: --out receives the processed audio of every cycle") {
    TemporaryDirectory dir;
    std::string out = dir.path() + "/processed.raw";
    ProcessResult result = runPipeline({"--cycles", "4", "--variant", "fixed", "--out", out,
                                        "--chunks-per-cycle", "8"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    // Each cycle waits for 8 chunks of 256 16-bit samples to reach the sink before it pauses.
    CHECK(std::filesystem::file_size(out) >= 4u * 8u * 256u * 2u);
}

TEST_CASE("algo_pipeline: an output file that cannot be created is one line and exit 1") {
    ProcessResult result = runPipeline({"--cycles", "1", "--variant", "fixed", "--out", "/nonexistent-dir/x.raw"});
    CHECK(result.exit_code == 1);
    CHECK(lineCount(result.err) == 1);
    CHECK(result.err.find("/nonexistent-dir/x.raw") != std::string::npos);
}

TEST_CASE("algo_pipeline: bad arguments get one line and exit 2") {
    const std::vector<std::vector<std::string>> bad = {
        {},
        {"--cycles", "3"},
        {"--variant", "buggy"},
        {"--cycles", "0", "--variant", "buggy"},
        {"--cycles", "abc", "--variant", "buggy"},
        {"--cycles", "3", "--variant", "broken"},
        {"--cycles", "3", "--variant", "fixed", "--input-type", "3"},
        {"--cycles", "3", "--variant", "fixed", "--frobnicate"},
        {"--cycles", "3", "--variant", "fixed", "--lifecycle", "restart"},
        {"--cycles", "3", "--variant", "fixed", "--lifecycle"},
        {"--cycles", "3", "--variant"},
    };
    for (const auto& args : bad) {
        ProcessResult result = runPipeline(args);
        std::string joined;
        for (const auto& arg : args) joined += arg + " ";
        INFO("args: " << joined << "\nstderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(lineCount(result.err) == 1);
        CHECK(result.err.rfind("algo_pipeline: ", 0) == 0);
    }
}
