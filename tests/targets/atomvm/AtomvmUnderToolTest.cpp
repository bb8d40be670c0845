// atomvm_port under the real leakscope: the buggy termination path must show as two per-cycle growths
// (link records and monitor records stuck on the parent) of exactly one struct Monitor per spawned
// process, with nothing of the runtime live at exit; the fixed path must be clean and pass
// `leakscope check`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include "ToolRun.h"
#include "monitor.h"

using namespace leakscope::testing;

namespace {

const std::string kProgram = LEAKSCOPE_TARGET_ATOMVM_PORT;
constexpr int kCycles = 10;

// Every function of the runtime that allocates, directly or through a callee: none of them may appear in
// an exit_leak, because shutdown frees everything the runtime made.
const std::vector<std::string> kRuntimeFunctions = {
    "context_new",  "monitor_link_new", "monitor_new",  "mailbox_send",      "context_send",
    "erlang_spawn", "erlang_spawn_link", "erlang_monitor", "globalcontext_new", "scheduler_run",
};

// What one spawned process leaves on the parent in the buggy runtime: one struct Monitor (its link
// record if spawn_link'ed, the watcher's monitor record if monitored) of ListHead 16 + pid 4 +
// is_monitoring 1, padded to 8, + ref_ticks 8 = 32 bytes on x86-64.
constexpr int64_t kBytesPerSpawnedProcess = 32;
static_assert(sizeof(struct Monitor) == kBytesPerSpawnedProcess, "the record layout changed: restate the bytes");

// Functions of the port's own module (the executable) in a finding's stack, innermost first.
std::vector<std::string> portFrames(const nlohmann::json& finding) {
    std::vector<std::string> functions;
    for (const auto& frame : finding["stack"])
        if (frame.value("module", "") == "atomvm_port") functions.push_back(frame.value("function", ""));
    return functions;
}

// What an exit snapshot may hold that is not the port's: allocations the C library and the loader make
// for themselves, once per process whatever the cycle count, which they never free by design:
// - glibc's stdout buffer, allocated by the port's first printf (main → printf → _IO_file_doallocate);
// - anything with no frame in the port at all, e.g. the 72704-byte emergency exception pool a C++
//   runtime loaded into the process sets up from _dl_init, before main.
bool isRuntimeNoise(const nlohmann::json& leak) {
    std::vector<std::string> port = portFrames(leak);
    if (port.empty()) return true;
    // The executable's frames of a printf from main: main, and the C runtime's _start below it.
    return port == std::vector<std::string>{"main", "_start"} && leak.value("count", 0) == 1 &&
           (stackHasFunction(leak, "printf") || stackHasFunction(leak, "puts"));
}

// Shutdown freed everything the runtime made: every exit leak is runtime noise, none goes through the
// runtime.
void checkExitClean(const nlohmann::json& report) {
    for (const auto& leak : findingsOfType(report, "exit_leak")) {
        INFO("exit_leak at " << topFunction(leak) << ": " << leak.dump());
        CHECK(isRuntimeNoise(leak));
        for (const auto& function : kRuntimeFunctions) CHECK_FALSE(stackHasFunction(leak, function));
    }
}

// Processes the parent spawned per batch, read from the program's own count ("spawned S, ...": the
// parent itself, then the same number per batch).
int64_t spawnedPerCycle(const std::string& out) {
    std::smatch match;
    REQUIRE(std::regex_search(out, match, std::regex("spawned ([0-9]+),")));
    int64_t spawned = std::stoll(match[1]);
    REQUIRE((spawned - 1) % kCycles == 0);
    return (spawned - 1) / kCycles;
}

ToolRun runPort(const TemporaryDirectory& dir, const std::string& variant, int workers) {
    ToolRun run = runUnderTool(dir.path(), {kProgram, "--cycles", std::to_string(kCycles), "--workers",
                                            std::to_string(workers), "--variant", variant});
    INFO("stdout:\n" << run.process.out << "\nstderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.is_object());
    return run;
}

const nlohmann::json* growthThrough(const std::vector<nlohmann::json>& growth, const std::string& creator) {
    auto found = std::find_if(growth.begin(), growth.end(),
                              [&](const nlohmann::json& finding) { return stackHasFunction(finding, creator); });
    return found == growth.end() ? nullptr : &*found;
}

}  // namespace

TEST_CASE("atomvm_port runs both variants without the tool and rejects bad flags with exit 2",
          "[atomvm][integration]") {
    for (const std::string variant : {"buggy", "fixed"}) {
        ProcessResult result = runProcess({kProgram, "--cycles", "3", "--workers", "2", "--variant", variant});
        INFO(variant << " stderr: " << result.err);
        CHECK(result.exit_code == 0);
        CHECK(result.out.find("records alive after shutdown: 0") != std::string::npos);
    }
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--cycles", "0"}, {"--workers", "many"}, {"--variant", "broken"}, {"--cycles"}, {"--frobnicate", "1"},
             {"stray"}}) {
        std::vector<std::string> argv = {kProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("argv: " << bad.front() << " stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("atomvm_port buggy: K link records and K monitor records per cycle stay on the parent",
          "[atomvm][integration][tool]") {
    const int workers = GENERATE(3, 8);
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, "buggy", workers);
    INFO("workers " << workers << ", summary: " << run.report["summary"].dump());

    auto growth = findingsOfType(run.report, "growth");
    CHECK(growth.size() == 2);  // the two kinds of record, nothing else
    const nlohmann::json* links = growthThrough(growth, "monitor_link_new");
    const nlohmann::json* monitors = growthThrough(growth, "monitor_new");
    REQUIRE(links != nullptr);
    REQUIRE(monitors != nullptr);
    CHECK(stackHasFunction(*links, "erlang_spawn_link"));
    CHECK(stackHasFunction(*monitors, "erlang_monitor"));

    // Per cycle the parent spawns K linked and K monitored workers, and keeps one 32-byte struct Monitor
    // per spawned worker: K link records and K monitor records, 2K x 32 bytes.
    const int64_t spawned = spawnedPerCycle(run.process.out);
    CHECK(spawned == 2 * workers);
    for (const nlohmann::json* finding : {links, monitors}) {
        CHECK(finding->value("resource", "") == "memory");
        CHECK(finding->value("count_per_cycle", 0) == workers);
        CHECK(finding->value("bytes_per_cycle", 0) == workers * kBytesPerSpawnedProcess);
        CHECK(finding->value("cycles_grown", -1) == finding->value("cycles_observed", -2));
    }
    CHECK(links->value("bytes_per_cycle", 0) + monitors->value("bytes_per_cycle", 0) ==
          spawned * kBytesPerSpawnedProcess);

    // Shutdown freed them: an exit-time checker sees nothing of the runtime.
    checkExitClean(run.report);
}

TEST_CASE("atomvm_port fixed: no growth, and leakscope check passes", "[atomvm][integration][tool]") {
    TemporaryDirectory dir;
    ToolRun run = runPort(dir, "fixed", 4);
    INFO("summary: " << run.report["summary"].dump());
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(run.snapshots().size() == kCycles + 1);  // one per batch, and the exit snapshot
    checkExitClean(run.report);

    ProcessResult check = runAnalyzer({"check", run.snapshot_dir});
    INFO("leakscope check output:\n" << check.out << check.err);
    CHECK(check.exit_code == 0);
}
