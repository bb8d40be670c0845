// What a correct leak tool must report for algo_pipeline --variant buggy, shared by the normal and the
// long (1000-cycle) integration tests.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "ToolRun.h"

namespace algo_stream_expectations {

// Bytes of one AFE instance as algo_pipeline configures it (afe_config_init("MR", ..., AFE_TYPE_VC,
// AFE_MODE_LOW_COST): 256 filter taps, 256-sample chunks, 4 queued frames). afe_nlms_create_from_config
// makes five blocks:
//   instance struct      432  sizeof(esp_afe_sr_data_t) on x86-64, pinned by a _Static_assert
//   filter taps         1024  256 floats
//   reference history   2044  (256 - 1 + 256) floats
//   frame queue         2048  4 frames x 256 int16
//   fetch output frame   512  256 int16
// total                6060  (the unit test "afe: one instance ... is 6060 bytes" checks the same sum)
constexpr long long kAfeInstanceBytes = 432 + 1024 + 2044 + 2048 + 512;
constexpr int kAfeInstanceBlocks = 5;

// Runs algo_pipeline with `args` under `leakscope run` in dir; requires that the program (and so the run)
// exits 0 within `timeout` and that a JSON report was written.
inline leakscope::testing::ToolRun runPipelineUnderTool(const std::string& dir, const std::vector<std::string>& args,
                                                        std::chrono::seconds timeout = std::chrono::seconds(300)) {
    std::vector<std::string> program = {LEAKSCOPE_TARGET_ALGO_PIPELINE};
    program.insert(program.end(), args.begin(), args.end());
    leakscope::testing::ProcessOptions options;
    options.timeout = timeout;
    leakscope::testing::ToolRun run = leakscope::testing::runUnderTool(dir, program, {}, options);
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE_FALSE(run.process.timed_out);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    return run;
}

inline void requireOnlyAfeInstanceGrowth(const nlohmann::json& report) {
    using leakscope::testing::findingsOfType;
    using leakscope::testing::stackHasFunction;
    using leakscope::testing::topFunction;
    // Exactly one growing call path: the five blocks of one instance share it, so the report merges
    // them into one finding with five allocation sites.
    auto growth = findingsOfType(report, "growth");
    INFO("growth findings: " << nlohmann::json(growth).dump(2));
    REQUIRE(growth.size() == 1);
    const auto& finding = growth[0];
    CHECK(finding.value("resource", "") == "memory");
    CHECK(stackHasFunction(finding, "_algo_open"));
    CHECK(topFunction(finding) == "afe_nlms_create_from_config");
    CHECK(finding.value("sites", 0) == kAfeInstanceBlocks);
    CHECK(finding.value("count_per_cycle", 0) == kAfeInstanceBlocks);
    CHECK(finding.value("bytes_per_cycle", 0LL) == kAfeInstanceBytes);
}

// Bytes live at exit that afe_nlms_create_from_config allocated (exit_leak findings).
inline long long afeBytesLiveAtExit(const nlohmann::json& report) {
    long long bytes = 0;
    for (const auto& finding : leakscope::testing::findingsOfType(report, "exit_leak"))
        if (leakscope::testing::stackHasFunction(finding, "afe_nlms_create_from_config"))
            bytes += finding.value("bytes", 0LL);
    return bytes;
}

}  // namespace algo_stream_expectations

using algo_stream_expectations::afeBytesLiveAtExit;
using algo_stream_expectations::kAfeInstanceBytes;
using algo_stream_expectations::requireOnlyAfeInstanceGrowth;
using algo_stream_expectations::runPipelineUnderTool;
