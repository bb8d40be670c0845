// A stack deeper than LEAKSCOPE_DEPTH (programs/deep_stack.cpp, 300 levels), walked through frame
// pointers and through DWARF CFA rules: the walk stops by counting the preload's own frames (issue 23),
// and what it keeps must still be exactly LEAKSCOPE_DEPTH frames below them — the allocating call,
// then the recursion's calls, none of the preload's and none skipped — marked truncated, and shown
// whole by the report. Every walk is also checked against libgcc's unwinder (LEAKSCOPE_VERIFY_UNWIND).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

bool isDescend(const json& frame) { return frame.value("function", "").find("descend(") != std::string::npos; }

// The stack of the exit snapshot's only block of `size` bytes; null when there is not exactly one.
const json* stackOfBlock(const json& shown, uint64_t size) {
    const json* found = nullptr;
    int blocks = 0;
    for (const auto& allocation : shown["allocations"]) {
        if (allocation.value("size", uint64_t{0}) != size) continue;
        ++blocks;
        for (const auto& stack : shown["stacks"])
            if (stack.value("id", uint64_t{0}) == allocation.value("stack_id", uint64_t{0})) found = &stack;
    }
    return blocks == 1 ? found : nullptr;
}

// From frame `first` on, the stack is the recursion: the allocating call in descend, then descend's
// recursive call (one return address, repeated) to the end.
void checkRecursionFrames(const json& stack, size_t first) {
    const json& frames = stack["frames"];
    const json& symbols = stack["symbols"];
    REQUIRE(symbols.size() == frames.size());  // descend is noinline: one symbol per frame
    REQUIRE(frames.size() >= first + 2);
    for (size_t i = first; i < symbols.size(); ++i) {
        INFO("frame " << i << ": " << symbols[i].dump());
        CHECK(isDescend(symbols[i]));
    }
    CHECK(frames[first] != frames[first + 1]);  // the allocating call, not a second recursion frame
    for (size_t i = first + 2; i < frames.size(); ++i) CHECK(frames[i] == frames[first + 1]);
}

}  // namespace

TEST_CASE("a deep stack keeps exactly LEAKSCOPE_DEPTH frames below the preload's, with and without frame pointers",
          "[capture][depth]") {
    const std::vector<std::pair<std::string, std::string>> programs = {
        {"frame pointers", LEAKSCOPE_TARGET_CAPTUREPROG_DEEP_STACK_FP},
        {"DWARF CFA (-O2 -fomit-frame-pointer)", LEAKSCOPE_TARGET_CAPTUREPROG_DEEP_STACK_NOFP}};
    for (const auto& [build, program] : programs) {
        for (int depth : {8, 32, 256}) {  // 32: the default, left unset
            DYNAMIC_SECTION(build << ", LEAKSCOPE_DEPTH " << depth) {
                TemporaryDirectory directory;
                ProcessOptions options;
                if (depth != 32) options.set_env["LEAKSCOPE_DEPTH"] = std::to_string(depth);
                options.set_env["LEAKSCOPE_VERIFY_UNWIND"] = "1";
                const ToolRun run = runUnderTool(directory.path(), {program, "300"}, {}, options);
                INFO("leakscope run stderr: " << run.process.err);
                REQUIRE(run.process.exit_code == 0);
                CHECK(run.process.err.find("unwind verification: mismatch") == std::string::npos);

                std::string exit_file;
                for (const auto& file : run.snapshots())
                    if (file.ends_with("-exit.lksnap")) exit_file = file;
                REQUIRE_FALSE(exit_file.empty());
                const json shown = showSnapshot(exit_file);
                CHECK(shown.value("stack_depth_limit", 0) == depth);

                // malloc, calloc and realloc are the preload's own entry points: below its frames the
                // first one is descend's call.
                for (uint64_t size : {8000, 3000, 2000}) {
                    INFO("block of " << size << " bytes");
                    const json* stack = stackOfBlock(shown, size);
                    REQUIRE(stack != nullptr);
                    CHECK((*stack)["frames"].size() == static_cast<size_t>(depth));
                    CHECK(stack->value("truncated", false));
                    checkRecursionFrames(*stack, 0);
                }
                // new char[]: libstdc++'s operator new[] (and operator new) come first; they count
                // towards the depth like any frame outside the preload, and the analyzer trims them.
                const json* stack = stackOfBlock(shown, 1000);
                REQUIRE(stack != nullptr);
                CHECK((*stack)["frames"].size() == static_cast<size_t>(depth));
                CHECK(stack->value("truncated", false));
                size_t runtime_frames = 0;
                while (runtime_frames < (*stack)["symbols"].size() &&
                       (*stack)["symbols"][runtime_frames].value("module", "").starts_with("libstdc++"))
                    ++runtime_frames;
                CHECK(runtime_frames >= 1);
                CHECK(runtime_frames <= 2);
                checkRecursionFrames(*stack, runtime_frames);

                // The report: the leak's stack is the recursion, LEAKSCOPE_DEPTH frames of it (the
                // blocks merge into one finding, whose stack is the largest block's: malloc's).
                size_t recursion_findings = 0;
                for (const auto& finding : findingsOfType(run.report, "exit_leak")) {
                    if (!finding.contains("stack") || finding["stack"].empty() || !isDescend(finding["stack"].back())) continue;
                    ++recursion_findings;
                    INFO("finding: " << finding.dump());
                    CHECK(finding["stack"].size() == static_cast<size_t>(depth));
                    for (const auto& frame : finding["stack"]) CHECK(isDescend(frame));
                }
                CHECK(recursion_findings >= 1);
            }
        }
    }
}
