// One test per hooked call: handleprog_each_call CALL opens a handle with CALL inside open_by_<CALL>,
// snapshots ("opened"), closes it and snapshots again ("closed"). The handle must be in the first
// snapshot with the right kind, a stack naming open_by_<CALL>, and any flag the call implies; it must
// be gone from the second; and no close along the way may count as a bad close.
#include <catch2/catch.hpp>

#include "HandleSnapshots.h"

using namespace leakscope::testing::handles;

namespace {

struct ExpectedHandle {
    const char* kind;        // kind of the first (or only) fd the call makes
    const char* second_kind; // kind of the second fd (pipe, socketpair), nullptr if there is none
    const char* flag;        // a flag the handle must carry, nullptr if none in particular
};

void checkHookedCall(const std::string& call, const ExpectedHandle& expected) {
    const PreloadedRun run = runAndShow({LEAKSCOPE_TARGET_HANDLEPROG_EACH_CALL, call});
    INFO("call " << call << "; program stdout: " << run.process.out << "; stderr: " << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    const std::vector<int> fds = printedNumbers(run.process.out, "fds");
    REQUIRE(fds.size() == 2);
    const nlohmann::json opened = onlyLabelled(run, "opened");
    const nlohmann::json closed = onlyLabelled(run, "closed");

    const char* kinds[2] = {expected.kind, expected.second_kind};
    for (int end = 0; end < 2; ++end) {
        if (!kinds[end]) {
            CHECK(fds[end] == -1);
            continue;
        }
        INFO("fd " << fds[end]);
        const auto handles = handlesAtFd(opened, fds[end]);
        REQUIRE(handles.size() == 1);
        const nlohmann::json& handle = handles.front();
        INFO("handle " << handle.dump());
        CHECK(handle.value("kind", "") == kinds[end]);
        CHECK(stackNamesFunction(opened, handle, "open_by_" + call));
        CHECK_FALSE(hasFlag(handle, "inherited"));
        CHECK_FALSE(hasFlag(handle, "untracked"));
        if (expected.flag) CHECK(hasFlag(handle, expected.flag));
        // Gone after the close: nothing left at that fd with the same sequence number.
        for (const auto& later : handlesAtFd(closed, fds[end]))
            CHECK(later.value("sequence", 0ULL) != handle.value("sequence", 0ULL));
    }
    CHECK(eventsOfKind(closed, "bad_close").empty());
    CHECK(eventsOfKind(closed, "double_close").empty());
    CHECK(counter(closed, "bad_closes") == 0);
}

}  // namespace

#define LEAKSCOPE_HOOKED_CALL_TEST(call, ...)                                              \
    TEST_CASE("the handle " #call " creates is tracked until it is closed", "[handles]") { \
        checkHookedCall(#call, ExpectedHandle{__VA_ARGS__});                               \
    }

LEAKSCOPE_HOOKED_CALL_TEST(socket, "socket", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(socketpair, "socket", "socket", "socketpair")
LEAKSCOPE_HOOKED_CALL_TEST(accept, "socket", nullptr, "accepted")
LEAKSCOPE_HOOKED_CALL_TEST(accept4, "socket", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(pipe, "pipe_read", "pipe_write", nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(pipe2, "pipe_read", "pipe_write", "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(open, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(open64, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(openat, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(openat64, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(__open_2, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(__open64_2, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(__openat_2, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(__openat64_2, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(creat, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(creat64, "file", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(dup, "duplicate", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(dup2, "duplicate", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(dup3, "duplicate", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(fcntl, "duplicate", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(eventfd, "eventfd", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(epoll_create, "epoll", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(epoll_create1, "epoll", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(timerfd_create, "timerfd", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(signalfd, "signalfd", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(inotify_init, "inotify", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(inotify_init1, "inotify", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(memfd_create, "memfd", nullptr, nullptr)
LEAKSCOPE_HOOKED_CALL_TEST(fopen, "file", nullptr, "stdio")
LEAKSCOPE_HOOKED_CALL_TEST(fopen64, "file", nullptr, "cloexec")
LEAKSCOPE_HOOKED_CALL_TEST(freopen, "file", nullptr, "stdio")
LEAKSCOPE_HOOKED_CALL_TEST(fdopen, "file", nullptr, "stdio")
LEAKSCOPE_HOOKED_CALL_TEST(opendir, "directory", nullptr, "stdio")
LEAKSCOPE_HOOKED_CALL_TEST(fdopendir, "directory", nullptr, "stdio")
