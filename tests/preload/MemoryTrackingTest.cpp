// The preload tracks memory exactly: known blocks from known functions, a multi-threaded storm,
// allocations before main, the allocator's guarantees, and no change in behaviour.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <unistd.h>

#include "PreloadTestSupport.h"
#include "Skip.h"

using namespace leakscope::testing;

namespace {

struct ExpectedBlocks {
    const char* function;
    size_t count;
    uint64_t size;
};

void requireExactBlocks(const nlohmann::json& shown) {
    const ExpectedBlocks expected[] = {{"known_alpha_allocate", 7, 48},
                                       {"known_beta_allocate", 5, 1000},
                                       {"known_gamma_allocate", 3, 4096}};
    for (const auto& blocks : expected) {
        INFO("function " << blocks.function);
        auto found = allocationsFrom(shown, blocks.function);
        REQUIRE(found.size() == blocks.count);
        for (const auto& allocation : found) {
            CHECK(allocation.at("size").get<uint64_t>() == blocks.size);
            // Frame 0 is the caller of malloc: the known function itself, not the preload.
            CHECK(stackFunctions(shown, allocation.at("stack_id").get<uint64_t>()).front() == blocks.function);
        }
    }
    CHECK(allocationsFrom(shown, "known_temporary_churn").empty());
}

}  // namespace

TEST_CASE("known allocations: the API and exit snapshots hold exactly those blocks, with their functions") {
    TemporaryDirectory dir;
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_KNOWN_ALLOCATIONS});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "allocated 15 blocks, preload active\n");
    auto known = snapshotsLabelled(dir.path(), "known");
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(known.size() == 1);
    REQUIRE(exits.size() == 1);

    nlohmann::json api = showSnapshot(known[0]);
    CHECK(api.at("trigger") == "api");
    CHECK(api.at("snapshot_index") == 0);
    requireExactBlocks(api);
    // The 100 temporaries were allocated and freed before the snapshot: counted, never live.
    const auto& counters = api.at("counters");
    CHECK(counters.at("frees").get<uint64_t>() >= 100);
    CHECK(counters.at("allocations").get<uint64_t>() - counters.at("frees").get<uint64_t>() ==
          api.at("allocations").size());

    nlohmann::json at_exit = showSnapshot(exits[0]);
    CHECK(at_exit.at("trigger") == "exit");
    CHECK(at_exit.at("snapshot_index") == 1);
    requireExactBlocks(at_exit);
}

TEST_CASE("8 threads x 1,000,000 mixed malloc/calloc/realloc/free: no crash or deadlock, counts agree") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.timeout = std::chrono::seconds(240);
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_THREAD_STORM, "8", "1000000"}, options);
    INFO(run.err);
    REQUIRE_FALSE(run.timed_out);
    REQUIRE(run.exit_code == 0);
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    nlohmann::json shown = showSnapshot(exits[0]);
    const auto& counters = shown.at("counters");
    uint64_t allocations = counters.at("allocations");
    uint64_t frees = counters.at("frees");
    CHECK(allocations > 1000000);  // ~half of 8M operations allocate
    CHECK(allocations - frees == shown.at("allocations").size());
    CHECK(counters.at("live_allocations").get<uint64_t>() == shown.at("allocations").size());
    CHECK(counters.at("reallocations").get<uint64_t>() > 100000);
    CHECK(counters.at("bad_frees") == 0);
    // The program's own live blocks are all there, from its worker function.
    long program_live = std::stol(run.out.substr(run.out.find("live=") + 5));
    CHECK(allocationsFrom(shown, "runWorker").size() == static_cast<size_t>(program_live));
    uint64_t live_bytes = 0;
    for (const auto& allocation : shown.at("allocations")) live_bytes += allocation.at("size").get<uint64_t>();
    CHECK(counters.at("live_bytes").get<uint64_t>() == live_bytes);
    CHECK(counters.at("peak_live_bytes").get<uint64_t>() >= live_bytes);
}

TEST_CASE("allocations after a snapshot number above it on every thread, so diff counts exactly them") {
    // Both threads reserved a block of allocation numbers before snapshot A; what they allocate after
    // it must still number at least A's sequence (tests/unit/SequenceTest.cpp for the mechanism).
    TemporaryDirectory dir;
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_SEQUENCE_ACROSS_THREADS});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "before 10, after 10\n");
    auto first = snapshotsLabelled(dir.path(), "A");
    auto second = snapshotsLabelled(dir.path(), "B");
    REQUIRE(first.size() == 1);
    REQUIRE(second.size() == 1);
    const uint64_t boundary = showSnapshot(first[0]).at("sequence");
    nlohmann::json shown = showSnapshot(second[0]);
    const std::pair<const char*, size_t> expected[] = {
        {"seq_before_snapshot", 10}, {"seq_after_worker", 7}, {"seq_after_main", 3}};
    for (const auto& [function, count] : expected) {
        INFO("function " << function);
        auto blocks = allocationsFrom(shown, function);
        CHECK(blocks.size() == count);
        const bool before = std::string(function) == "seq_before_snapshot";
        for (const auto& block : blocks) CHECK((block.at("sequence").get<uint64_t>() < boundary) == before);
    }
    ProcessResult diff = runAnalyzer({"diff", first[0], second[0], "--format", "json"});
    INFO(diff.err);
    REQUIRE(diff.exit_code == 0);
    const nlohmann::json parsed = nlohmann::json::parse(diff.out);
    std::map<std::string, uint64_t> added;
    for (const auto& group : parsed.at("added"))
        if (group.at("resource") == "memory" && !group.at("stack").empty())
            added[group.at("stack")[0].value("function", "")] += group.at("count").get<uint64_t>();
    CHECK(added["seq_after_worker"] == 7);
    CHECK(added["seq_after_main"] == 3);
    CHECK(added.count("seq_before_snapshot") == 0);
}

TEST_CASE("allocations in a constructor before main and dlsym/dlopen's bootstrap do not crash or recurse") {
    TemporaryDirectory dir;
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_EARLY_ALLOCATIONS});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == "constructor block: ok\n");
    CHECK(diagnosticLines(run.err).empty());
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    nlohmann::json shown = showSnapshot(exits[0]);
    auto early = allocationsFrom(shown, "early_constructor_allocate");
    REQUIRE(early.size() == 1);
    CHECK(early[0].at("size") == 333);
    CHECK(shown.at("counters").at("bad_frees") == 0);
    // libm was loaded and closed in the constructor: the module map still knows it, as unloaded.
    bool libm_unloaded = false;
    for (const auto& module : shown.at("modules"))
        if (module.value("path", "").find("libm.so") != std::string::npos)
            libm_unloaded = module.value("unloaded_sequence", 0ull) > 0;
    CHECK(libm_unloaded);
}

TEST_CASE("alignment, zeroing and edge cases of every interposed function hold, output is the same") {
    TemporaryDirectory dir;
    ProcessResult plain = runProcess({LEAKSCOPE_TARGET_TESTPROG_ALLOCATOR_SEMANTICS});
    ProcessResult tracked = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_ALLOCATOR_SEMANTICS});
    INFO(tracked.out << tracked.err);
    REQUIRE(plain.exit_code == 0);
    CHECK(tracked.exit_code == 0);
    CHECK(tracked.out == plain.out);
    CHECK(tracked.out.find("0 failures") != std::string::npos);
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    nlohmann::json shown = showSnapshot(exits[0]);
    // The impossible requests were really made and failed: recorded as failed allocations.
    CHECK(eventsOfKind(shown, "failed_allocation").size() >= 3);
    CHECK(shown.at("counters").at("bad_frees") == 0);
}

// Speed is measured by scripts/bench, not asserted here. What made exceptions ~100x slower was a shared
// unwinder's _Unwind_* in the program's global scope: the preload must export none, and the program
// must print the same.
TEST_CASE("an exception-heavy C++ program prints the same, and the preload exports no _Unwind_* symbol") {
    TemporaryDirectory dir;
    ProcessOptions preload_options;
    preload_options.set_env["LD_PRELOAD"] = preloadPath();
    preload_options.set_env["LEAKSCOPE_OUTPUT_DIR"] = dir.path();
    ProcessResult plain = runProcess({LEAKSCOPE_TARGET_TESTPROG_EXCEPTIONS, "100000"});
    ProcessResult tracked = runProcess({LEAKSCOPE_TARGET_TESTPROG_EXCEPTIONS, "100000"}, preload_options);
    REQUIRE(plain.exit_code == 0);
    CHECK(tracked.exit_code == 0);
    CHECK(tracked.out == plain.out);
    if (access("/usr/bin/nm", X_OK) != 0) SKIP_TEST("/usr/bin/nm (binutils) is not installed");
    ProcessResult symbols = runProcess({"/usr/bin/nm", "-D", "--defined-only", preloadPath()});
    REQUIRE(symbols.exit_code == 0);
    CHECK(symbols.out.find(" malloc\n") != std::string::npos);  // the listing is real
    CHECK(symbols.out.find(" _Unwind_") == std::string::npos);
}

TEST_CASE("LEAKSCOPE_DEPTH limits the recorded frames and marks cut stacks truncated") {
    TemporaryDirectory dir;
    ProcessOptions options;
    options.set_env["LEAKSCOPE_DEPTH"] = "2";
    ProcessResult run = runWithPreload(dir.path(), {LEAKSCOPE_TARGET_TESTPROG_KNOWN_ALLOCATIONS}, options);
    REQUIRE(run.exit_code == 0);
    auto exits = snapshotsLabelled(dir.path(), "exit");
    REQUIRE(exits.size() == 1);
    nlohmann::json shown = showSnapshot(exits[0]);
    CHECK(shown.at("stack_depth_limit") == 2);
    bool some_truncated = false;
    for (const auto& stack : shown.at("stacks")) {
        CHECK(stack.at("frames").size() <= 2);
        some_truncated = some_truncated || stack.value("truncated", false);
    }
    CHECK(some_truncated);
    CHECK(allocationsFrom(shown, "known_alpha_allocate").size() == 7);
}
