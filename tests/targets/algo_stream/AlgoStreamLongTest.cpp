// 1000 pause/resume cycles under the tool (label `long`, outside the default test set): the port and the
// tool keep going, and the finding is still exactly the AFE instance per cycle. The run is the demo's,
// only longer: 32 chunks (512 ms of audio) per cycle; about 30 s per variant on this machine.
#include <catch2/catch.hpp>

#include "AlgoStreamExpectations.h"
#include "ToolRun.h"

using namespace leakscope::testing;

namespace {
const std::chrono::seconds kLongRunLimit{840};
}

TEST_CASE("algo_stream buggy, 1000 cycles under the tool: finishes, one AFE instance per cycle") {
    TemporaryDirectory dir;
    ToolRun run = runPipelineUnderTool(
        dir.path(), {"--cycles", "1000", "--variant", "buggy"}, kLongRunLimit);
    requireOnlyAfeInstanceGrowth(run.report);
}

TEST_CASE("algo_stream fixed, 1000 cycles under the tool: finishes, no growth") {
    TemporaryDirectory dir;
    ToolRun run = runPipelineUnderTool(
        dir.path(), {"--cycles", "1000", "--variant", "fixed"}, kLongRunLimit);
    CHECK(findingsOfType(run.report, "growth").empty());
}
