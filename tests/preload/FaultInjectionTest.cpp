// LEAKSCOPE_FAIL_ALLOC: the chosen allocations fail with ENOMEM and are recorded with their stacks.
#include <catch2/catch.hpp>

#include "PreloadTestSupport.h"

using namespace leakscope::testing;

namespace {

struct InjectionRun {
    ProcessResult process;
    nlohmann::json exit_snapshot;
};

InjectionRun runWithSpec(const TemporaryDirectory& dir, const std::string& spec) {
    ProcessOptions options;
    options.set_env["LEAKSCOPE_FAIL_ALLOC"] = spec;
    InjectionRun run;
    run.process = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_FAULT_INJECTION, "10"}, options);
    INFO(run.process.err);
    REQUIRE(run.process.exit_code == 0);
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    run.exit_snapshot = showSnapshot(exits[0]);
    return run;
}

}  // namespace

TEST_CASE("fault injection aimed at a function fails its Nth allocation and records the stack") {
    TemporaryDirectory dir;
    InjectionRun run = runWithSpec(dir, "function=audio_buffer_allocate,nth=3");
    CHECK(run.process.out == "failed: 3\n");
    auto injected = eventsOfKind(run.exit_snapshot, "injected_failure");
    REQUIRE(injected.size() == 1);
    CHECK(injected[0].at("size") == 4096);
    CHECK(stackContains(run.exit_snapshot, injected[0].at("stack_id"), "audio_buffer_allocate"));
    CHECK(run.exit_snapshot.at("counters").at("injected_failures") == 1);
    // The other nine buffers are live and tracked as usual.
    CHECK(allocationsFrom(run.exit_snapshot, "audio_buffer_allocate").size() == 9);
}

TEST_CASE("fault injection: every=N, above=BYTES, limit=N and several rules") {
    TemporaryDirectory every_dir, above_dir, limit_dir, rules_dir;
    CHECK(runWithSpec(every_dir, "function=audio_buffer_allocate,every=3").process.out == "failed: 3 6 9\n");
    CHECK(runWithSpec(above_dir, "above=1048576").process.out == "failed: large\n");
    CHECK(runWithSpec(limit_dir, "function=audio_buffer_allocate,every=2,limit=2").process.out == "failed: 2 4\n");
    InjectionRun rules = runWithSpec(rules_dir, "function=audio_buffer_allocate,nth=1;function=large_buffer_allocate");
    CHECK(rules.process.out == "failed: 1 large\n");
    auto injected = eventsOfKind(rules.exit_snapshot, "injected_failure");
    REQUIRE(injected.size() == 2);
    CHECK(stackContains(rules.exit_snapshot, injected[1].at("stack_id"), "large_buffer_allocate"));
    CHECK(injected[1].at("size") == 2 << 20);
}

TEST_CASE("fault injection: a bad LEAKSCOPE_FAIL_ALLOC spec is one warning line and injects nothing") {
    const char* bad_specs[] = {"nth=0", "every=x", "colour=blue", "function=", "above=10,,nth=2", ";"};
    for (const char* spec : bad_specs) {
        TemporaryDirectory dir;
        InjectionRun run = runWithSpec(dir, spec);
        INFO("spec " << spec);
        CHECK(run.process.out == "failed:\n");
        auto lines = diagnosticLines(run.process.err);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find("LEAKSCOPE_FAIL_ALLOC") != std::string::npos);
        CHECK(lines[0].find("fault injection is off") != std::string::npos);
    }
}
