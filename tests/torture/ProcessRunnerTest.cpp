// The test runner's own hang check (tests/support/ProcessRunner.h, HangReport.h): a program that never
// ends is reported as timed_out with what each of its threads, and its child's, was waiting in, and
// nothing of it is left running. The program blocks for good, so the runner's deadline is the only way
// out (no timing is asserted: only that the deadline ended it, and what the report says).
#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>

#include "ProcessRunner.h"
#include "Skip.h"
#include "TortureRun.h"

using leakscope::testing::ProcessOptions;
using leakscope::testing::ProcessResult;

namespace {

struct StuckIds {
    std::string child, thread;
};

StuckIds idsFrom(const std::string& out) {
    std::smatch match;
    REQUIRE(std::regex_search(out, match, std::regex("child ([0-9]+) thread ([0-9]+)")));
    return {match[1].str(), match[2].str()};
}

// The report's line for one thread: "  thread TID NAME  state ...".
std::string threadLine(const std::string& report, const std::string& tid) {
    std::smatch match;
    if (!std::regex_search(report, match, std::regex("\n  thread " + tid + " [^\n]*"))) return "";
    return match[0].str();
}

// The block of one process: from its "process PID" line up to the next "process" line.
std::string processBlock(const std::string& report, const std::string& pid) {
    const auto start = report.find("process " + pid + " (");
    if (start == std::string::npos) return "";
    const auto next = report.find("\nprocess ", start + 1);
    return report.substr(start, next == std::string::npos ? std::string::npos : next - start);
}

// A process the runner killed is gone, or a zombie its new parent has not reaped yet: not running.
bool stillRunning(const std::string& pid) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z' && text[close + 2] != 'X';
}

ProcessResult runStuck(const std::vector<std::string>& args) {
    ProcessOptions options;
    options.timeout = std::chrono::seconds(2);
    std::vector<std::string> argv = {LEAKSCOPE_TARGET_HOST_STUCK_WAITERS};
    argv.insert(argv.end(), args.begin(), args.end());
    return leakscope::testing::runProcess(argv, options);
}

void requireNamesEveryWait(const ProcessResult& result) {
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.timed_out);
    CHECK(result.exit_code == 128 + SIGKILL);
    const StuckIds ids = idsFrom(result.out);
    const std::string& report = result.hang_report;
    // Every thread is asleep in the call the program blocks in: the mutex is a futex wait, main waits
    // for its child, the child reads a pipe nobody writes.
    const std::string thread = threadLine(report, ids.thread);
    CHECK(thread.find("state S (sleeping)") != std::string::npos);
    CHECK(thread.find("syscall futex (") != std::string::npos);
    const std::string child = processBlock(report, ids.child);
    REQUIRE_FALSE(child.empty());
    CHECK(threadLine(child, ids.child).find("syscall read (") != std::string::npos);
    CHECK(report.find("syscall wait4 (") != std::string::npos);
    // The failure message of any test that prints the run's stderr shows it.
    CHECK(result.err.find(report) != std::string::npos);
    // The runner killed the child too (SIGKILL takes effect asynchronously, and the child is not the
    // test's to wait for: it is given up to 30 s to be gone).
    bool running = stillRunning(ids.child);
    for (int tries = 0; running && tries < 3000; ++tries) {
        usleep(10000);
        running = stillRunning(ids.child);
    }
    CHECK_FALSE(running);
}

}  // namespace

TEST_CASE("ProcessRunner: a program that never ends is killed at the deadline and the report names each thread's wait",
          "[torture]") {
    requireNamesEveryWait(runStuck({}));
}

TEST_CASE("ProcessRunner: a program that closed its output but never exits is reported the same way", "[torture]") {
    // The CI case: both pipes at EOF, only the wait for the exit left.
    const ProcessResult result = runStuck({"closed"});
    requireNamesEveryWait(result);
}

TEST_CASE("ProcessRunner: with gdb installed, the hang report has every thread's backtrace", "[torture]") {
    if (leakscope::torture::findInPath("gdb").empty()) SKIP_TEST("gdb is not installed");
    const ProcessResult result = runStuck({});
    INFO("stderr: " << result.err);
    REQUIRE(result.timed_out);
    const std::string& report = result.hang_report;
    // gdb reaches each process; the program's own frames are named (it is built with symbols in every
    // build type the project uses: -g or not, `main` is in .symtab).
    CHECK(report.find("thread apply all bt") != std::string::npos);
    CHECK(report.find("(gdb itself timed out)") == std::string::npos);
    CHECK(report.find("waitForMutex") != std::string::npos);
    CHECK(report.find(" in main ") != std::string::npos);
}
