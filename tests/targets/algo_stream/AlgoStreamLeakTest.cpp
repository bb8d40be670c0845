// algo_pipeline under the real tool (`leakscope run`): the buggy variant leaks exactly one AFE instance
// per pause/resume and per stop/run (upstream's leak fires on both: each closes and reopens the element),
// through _algo_open -> afe_nlms_create_from_config, and nothing else grows; the fixed variant passes
// `leakscope check` in both lifecycles.
#include <catch2/catch.hpp>

#include "AlgoStreamExpectations.h"
#include "ToolRun.h"

using namespace leakscope::testing;

TEST_CASE("algo_stream buggy: every growing stack is one AFE instance block made by _algo_open") {
    const std::string lifecycle = GENERATE("pause", "stop");
    INFO("--lifecycle " << lifecycle);
    TemporaryDirectory dir;
    ToolRun run = runPipelineUnderTool(dir.path(), {"--cycles", "12", "--variant", "buggy", "--lifecycle", lifecycle});
    CHECK(run.report.value("verdict", "") == "leak");
    requireOnlyAfeInstanceGrowth(run.report);
    // 13 opens (the first run + 12 resumes or re-runs) made 13 instances; _algo_destroy frees only the last.
    CHECK(afeBytesLiveAtExit(run.report) == 12 * kAfeInstanceBytes);
}

TEST_CASE("algo_stream fixed: no growth, and leakscope check passes") {
    const std::string lifecycle = GENERATE("pause", "stop");
    INFO("--lifecycle " << lifecycle);
    TemporaryDirectory dir;
    ToolRun run = runPipelineUnderTool(dir.path(), {"--cycles", "12", "--variant", "fixed", "--lifecycle", lifecycle});
    auto growth = findingsOfType(run.report, "growth");
    INFO("growth findings: " << nlohmann::json(growth).dump(2));
    CHECK(growth.empty());
    CHECK(afeBytesLiveAtExit(run.report) == 0);
    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check:\n" << check.out << check.err);
    CHECK(check.exit_code == 0);
}

TEST_CASE("algo_stream input type 2 (reference on an extra input): buggy grows by one instance, fixed not at all") {
    TemporaryDirectory buggy_dir, fixed_dir;
    ToolRun buggy = runPipelineUnderTool(buggy_dir.path(), {"--cycles", "12", "--variant", "buggy", "--input-type", "2"});
    requireOnlyAfeInstanceGrowth(buggy.report);
    ToolRun fixed = runPipelineUnderTool(fixed_dir.path(), {"--cycles", "12", "--variant", "fixed", "--input-type", "2"});
    auto growth = findingsOfType(fixed.report, "growth");
    INFO("growth findings: " << nlohmann::json(growth).dump(2));
    CHECK(growth.empty());
}
