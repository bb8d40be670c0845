// The accounting scenarios, each a real program under the real preload: the UDP socket lost
// before its close (one more live socket and one close(-1) per cycle), dup2 onto an open fd, fd
// reuse and double close, O_CLOEXEC across exec, fork, inherited fds, and a daemon-style close of
// every fd from 3 to 1023 that must leave the tracker able to write its snapshots.
#include <catch2/catch.hpp>

#include "HandleSnapshots.h"

using namespace leakscope::testing::handles;
using nlohmann::json;

namespace {

std::vector<json> handlesOpenedIn(const json& snapshot, const std::string& kind, const std::string& function) {
    std::vector<json> found;
    for (const auto& handle : snapshot.value("handles", json::array()))
        if (handle.value("kind", "") == kind && stackNamesFunction(snapshot, handle, function)) found.push_back(handle);
    return found;
}

}  // namespace

TEST_CASE("a UDP socket lost before its close leaks one socket and one close(-1) per cycle", "[handles]") {
    constexpr int kCycles = 5;
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_UDP_LEAK, std::to_string(kCycles)});
    INFO("stderr: " << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    const auto cycles = labelled(run, "cycle");
    REQUIRE(cycles.size() == kCycles);
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        INFO("cycle " << cycle);
        const json& snapshot = cycles[cycle];
        const auto sockets = handlesOpenedIn(snapshot, "socket", "open_status_socket");
        REQUIRE(sockets.size() == static_cast<size_t>(cycle + 1));
        for (const auto& socket : sockets) CHECK(socket.value("details", "") == "AF_INET SOCK_DGRAM 0");
        // close(-1) closes nothing: an invalid_fd_close event, not a bad close (snapshot_format.h).
        const auto invalid_closes = eventsOfKind(snapshot, "invalid_fd_close");
        CHECK(invalid_closes.size() == static_cast<size_t>(cycle + 1));
        for (const auto& event : invalid_closes) {
            CHECK(event.value("value", 0LL) == -1);
            CHECK(stackNamesFunction(snapshot, event, "lose_and_close_status_socket"));
        }
        CHECK(eventsOfKind(snapshot, "bad_close").empty());
        CHECK(counter(snapshot, "bad_closes") == 0);
    }
}

TEST_CASE("dup2 onto an open fd closes the old handle and records the duplicate", "[handles]") {
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_FD_ACCOUNTING, "dup2"});
    REQUIRE(run.process.exit_code == 0);
    const auto fds = printedNumbers(run.process.out, "dup2");
    REQUIRE(fds.size() == 2);
    const json start = onlyLabelled(run, "start"), after = onlyLabelled(run, "after-dup2"),
               closed = onlyLabelled(run, "closed");
    const auto at_target = handlesAtFd(after, fds[1]);
    REQUIRE(at_target.size() == 1);
    CHECK(at_target[0].value("kind", "") == "duplicate");
    CHECK(stackNamesFunction(after, at_target[0], "redirect_with_dup2"));
    CHECK(handlesOpenedIn(after, "socket", "open_dup_target").empty());
    // Exactly: open, socket, dup2 opened three; the socket dup2 replaced is the one closed.
    CHECK(counter(after, "handles_opened") - counter(start, "handles_opened") == 3);
    CHECK(counter(after, "handles_closed") - counter(start, "handles_closed") == 1);
    CHECK(counter(closed, "handles_closed") - counter(start, "handles_closed") == 3);
    CHECK(counter(closed, "live_handles") == counter(start, "live_handles"));
    CHECK(counter(closed, "bad_closes") == 0);
}

TEST_CASE("a reused fd number is a new record, and closing it twice is a double close", "[handles]") {
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_FD_ACCOUNTING, "reuse"});
    REQUIRE(run.process.exit_code == 0);
    const int fd = printedNumbers(run.process.out, "reuse").at(0);
    const json reused = onlyLabelled(run, "reused");
    const auto handles = handlesAtFd(reused, fd);
    REQUIRE(handles.size() == 1);
    CHECK(handles[0].value("kind", "") == "socket");
    CHECK(stackNamesFunction(reused, handles[0], "open_second_user"));
    CHECK(handlesOpenedIn(reused, "file", "open_first_user").empty());

    const json closed = onlyLabelled(run, "double-closed");
    CHECK(handlesAtFd(closed, fd).empty());
    const auto doubles = eventsOfKind(closed, "double_close");
    REQUIRE(doubles.size() == 1);
    CHECK(doubles[0].value("value", -100LL) == fd);
    CHECK(stackNamesFunction(closed, doubles[0], "close_twice"));
    CHECK(eventsOfKind(closed, "bad_close").empty());
    CHECK(counter(closed, "bad_closes") == 1);
}

TEST_CASE("close-on-exec fds vanish across exec, and the others arrive inherited, never as the program's own", "[handles]") {
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_FD_ACCOUNTING, "exec"});
    REQUIRE(run.process.exit_code == 0);
    const auto fds = printedNumbers(run.process.out, "exec");  // kept, O_CLOEXEC, F_SETFD FD_CLOEXEC
    REQUIRE(fds.size() == 3);
    const json before = onlyLabelled(run, "before-exec");
    for (int i = 0; i < 3; ++i) {
        const auto handles = handlesAtFd(before, fds[i]);
        REQUIRE(handles.size() == 1);
        CHECK(hasFlag(handles[0], "cloexec") == (i != 0));
    }
    const json after = onlyLabelled(run, "after-exec");
    const auto kept = handlesAtFd(after, fds[0]);
    REQUIRE(kept.size() == 1);
    CHECK(hasFlag(kept[0], "inherited"));
    CHECK(kept[0].value("stack_id", 1) == 0);
    CHECK(handlesAtFd(after, fds[1]).empty());
    CHECK(handlesAtFd(after, fds[2]).empty());
    // Everything the exec'd image found open is its baseline: inherited, none untracked or its own.
    for (const auto& handle : after.value("handles", json::array())) {
        INFO(handle.dump());
        CHECK(hasFlag(handle, "inherited"));
    }
    CHECK(counter(after, "handles_opened") == 0);
}

TEST_CASE("a forked child sees its parent's handles as inherited", "[handles]") {
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_FD_ACCOUNTING, "fork"});
    REQUIRE(run.process.exit_code == 0);
    const int fd = printedNumbers(run.process.out, "fork").at(0);
    const auto in_child = handlesAtFd(onlyLabelled(run, "child"), fd);
    REQUIRE(in_child.size() == 1);
    CHECK(hasFlag(in_child[0], "inherited"));
    const json parent = onlyLabelled(run, "parent");
    const auto in_parent = handlesAtFd(parent, fd);
    REQUIRE(in_parent.size() == 1);
    CHECK_FALSE(hasFlag(in_parent[0], "inherited"));
    CHECK(stackNamesFunction(parent, in_parent[0], "open_before_fork"));
}

TEST_CASE("a program that closes every fd from 3 to 1023 still gets its snapshots", "[handles]") {
    const std::string style = GENERATE(as<std::string>{}, "close", "range");
    INFO("closing with " << style);
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_CLOSE_ALL, style});
    INFO("stderr: " << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    const int fd = printedNumbers(run.process.out, "socket").at(0);
    const auto after = labelled(run, "after-close-all");
    REQUIRE(after.size() == 2);
    for (const auto& snapshot : after) {
        const auto handles = handlesAtFd(snapshot, fd);
        REQUIRE(handles.size() == 1);
        CHECK(stackNamesFunction(snapshot, handles[0], "open_after_close_all"));
    }
    CHECK(labelled(run, "exit").size() == 1);
}
