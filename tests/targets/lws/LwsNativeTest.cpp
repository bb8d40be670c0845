// lws_native under the real leakscope: Debian's libwebsockets 4.1, unmodified, through its connect,
// context and cancel lifecycles. docs/targets.md records what was measured; these tests hold it.
#include <catch2/catch.hpp>

#include "LwsTestSupport.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using namespace leakscope::lws_tests;

namespace {

const std::string kNativeProgram = LEAKSCOPE_TARGET_LWS_NATIVE;
constexpr int kCycles = 20;

ToolRun runLoopUnderTool(const TemporaryDirectory& dir, const std::string& loop) {
    ToolRun run = runUnderTool(dir.path(), {kNativeProgram, "--loop", loop, "--cycles", std::to_string(kCycles),
                                            "--messages", "5"});
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.process.out.find(std::to_string(kCycles) + " cycles completed") != std::string::npos);
    REQUIRE(run.report.is_object());
    return run;
}

// What each loop does per cycle, as measured (docs/targets.md, "libwebsockets"): the handles it opens
// and closes within one cycle, and whether an lws context is alive at the "start" snapshot.
struct LoopShape {
    long long handles_per_cycle;  // opened and closed again within the cycle
    bool context_alive_at_start;  // connect and cancel: one context for the whole run
};

// What every loop of the real library must show: no stack grows from cycle to cycle, nothing the
// program opened is left at exit, no close of an fd that was not open, and after every cycle the
// open fds, live allocations and live bytes are exactly those of the "start" snapshot.
void requireCleanLoop(const ToolRun& run, LoopShape shape) {
    INFO("findings:\n" << describeFindings(run.report));
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(findingsOfType(run.report, "leaked_handle").empty());
    CHECK(findingsOfType(run.report, "bad_close").empty());
    CHECK(findingsOfType(run.report, "double_close").empty());

    CycleSnapshots series = loadCycleSnapshots(run);
    REQUIRE(series.cycles.size() == static_cast<std::size_t>(kCycles));
    // The tool saw the context's own handles: the random fd, the event pipe (an eventfd on Linux)
    // and the listen socket; without them the comparisons below would prove nothing.
    int alive = shape.context_alive_at_start ? 1 : 0;
    CHECK(countHandles(series.start, "file", "/dev/urandom") == alive);
    CHECK(countHandles(series.start, "eventfd") == alive);
    CHECK(countSockets(series.start, "AF_INET", "SOCK_STREAM") == alive);

    std::set<int> start = openFds(series.start);
    const nlohmann::json* previous = &series.start;
    for (std::size_t cycle = 0; cycle < series.cycles.size(); cycle++) {
        const auto& snapshot = series.cycles[cycle];
        INFO("cycle " << cycle + 1 << ": start fds " << describeFds(start) << "; handles not in the start set:\n"
                      << describeExtraHandles(snapshot, start));
        CHECK(openFds(snapshot) == start);
        CHECK(counter(snapshot, "handles_opened") - counter(*previous, "handles_opened") == shape.handles_per_cycle);
        CHECK(counter(snapshot, "handles_closed") - counter(*previous, "handles_closed") == shape.handles_per_cycle);
        CHECK(counter(snapshot, "live_allocations") == counter(series.start, "live_allocations"));
        CHECK(counter(snapshot, "live_bytes") == counter(series.start, "live_bytes"));
        previous = &snapshot;
    }
}

}  // namespace

TEST_CASE("lws_native runs each loop without the tool and rejects bad flags", "[lws][native]") {
    for (const std::string loop : {"connect", "context", "cancel"}) {
        ProcessResult result = runProcess({kNativeProgram, "--loop", loop, "--cycles", "5", "--messages", "3"});
        INFO(loop << " stderr: " << result.err);
        CHECK(result.exit_code == 0);
        CHECK(result.out.find("loop " + loop + ": 5 cycles completed") != std::string::npos);
    }
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--cycles", "5"}, {"--loop", "connect"}, {"--loop", "reconnect", "--cycles", "5"},
             {"--loop", "connect", "--cycles", "0"}, {"--loop", "connect", "--cycles", "5x"},
             {"--loop", "connect", "--cycles", "5", "--messages"}, {"--loop", "cancel", "--cycles", "5", "-v"}}) {
        std::vector<std::string> argv = {kNativeProgram};
        argv.insert(argv.end(), bad.begin(), bad.end());
        ProcessResult result = runProcess(argv);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("lws_native connect loop under leakscope: clean, fds back to the start set", "[lws][native][tool]") {
    TemporaryDirectory dir;
    // Per cycle: the client's socket and the server's accepted socket.
    requireCleanLoop(runLoopUnderTool(dir, "connect"), {2, true});
}

TEST_CASE("lws_native context loop under leakscope: clean, fds back to the start set after every destroy",
          "[lws][native][tool]") {
    TemporaryDirectory dir;
    // Per cycle: /dev/urandom, the eventfd, the listen socket, the client and the accepted socket.
    // (getifaddrs' netlink socket is opened and closed inside glibc, out of the hooks' sight.)
    requireCleanLoop(runLoopUnderTool(dir, "context"), {5, false});
}

TEST_CASE("lws_native cancel loop under leakscope: clean, fds back to the start set", "[lws][native][tool]") {
    TemporaryDirectory dir;
    // A wake-up writes to the existing eventfd: nothing is opened.
    requireCleanLoop(runLoopUnderTool(dir, "cancel"), {0, true});
}
