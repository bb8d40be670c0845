// `leakscope attach` against a daemon started without the tool (tests/attach/attach_daemon.c): the
// report names the leaking function, blocks and fds from before the attach are silent, the daemon
// runs on with its data and fd numbers as without the attach (also with a snapshot every 2 ms), a
// second attach works, `snap` works while attached, and every refusal is one line with exit code 2. Skipped when this machine does
// not let a process trace a non-child (kernel.yama.ptrace_scope).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "ProcessRunner.h"
#include "Skip.h"
#include "ToolRun.h"

extern char** environ;

namespace lt = leakscope::testing;
namespace fs = std::filesystem;

namespace {

// Waits (polling) for `condition`; false after `limit`. A generous limit, never an assertion on time.
bool waitFor(const std::function<bool()>& condition, std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

// A program started in the background with stdout and stderr in files.
class Background {
public:
    Background(const std::vector<std::string>& argv, const std::string& output_prefix)
        : out_(output_prefix + ".out"), err_(output_prefix + ".err") {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        int error = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(error == 0);
    }
    ~Background() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    // The exit status (128+N when killed by signal N), -1 when it did not end within the limit.
    int wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
        int status = 0;
        bool ended = waitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
        if (!ended) return -1;
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::string out() const { return lt::readFile(out_); }
    std::string err() const { return lt::readFile(err_); }

private:
    pid_t pid_ = 0;
    std::string out_, err_;
};

struct Request {
    long number = 0;
    int fd = -1;
    unsigned long long sum = 0;
    int released = 0;
};

std::vector<Request> requestsIn(const std::string& data) {
    std::vector<Request> requests;
    std::istringstream lines(data);
    for (std::string line; std::getline(lines, line);) {
        Request request;
        if (std::sscanf(line.c_str(), "request %ld fd %d sum %llu released %d", &request.number, &request.fd,
                        &request.sum, &request.released) == 4)
            requests.push_back(request);
    }
    return requests;
}

// build_response()'s checksum of request n (attach_daemon.c).
unsigned long long expectedSum(long n) {
    size_t size = 256 + static_cast<size_t>(n % 7) * 64;
    unsigned long long sum = 0;
    for (size_t i = 0; i < size; ++i) sum += static_cast<unsigned char>(n * 31 + static_cast<long>(i));
    return sum;
}

// The daemon, started without the tool, serving a request every `period_ms` (10 ms by default).
struct Daemon {
    std::string data, stop;
    Background process;
    Daemon(const std::string& dir, const char* program = LEAKSCOPE_TARGET_ATTACH_DAEMON, const char* period_ms = "10")
        : data(dir + "/data"), stop(dir + "/stop"), process({program, data, stop, period_ms, "1"}, dir + "/daemon") {
        REQUIRE(waitFor([&] { return process.out().rfind("ready ", 0) == 0; }));
    }
    std::string pid() const { return std::to_string(process.pid()); }
    size_t requests() const { return requestsIn(lt::readFile(data)).size(); }
};

std::vector<std::string> attachArgs(const std::string& pid, const std::string& dir, std::vector<std::string> extra,
                                    const char* interval_ms = "100") {
    std::vector<std::string> argv = {lt::analyzerPath(), "attach", pid, "--out", dir + "/snapshots", "--interval",
                                     interval_ms, "--format", "json", "--output", dir + "/report.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

void skipUnlessPermitted(const lt::ProcessResult& attach) {
    if (attach.exit_code == 2 && attach.err.find("not permitted") != std::string::npos)
        SKIP_TEST("this machine does not allow tracing a non-child process: " << attach.err);
}

bool hasGrowthIn(const nlohmann::json& report, const std::string& function) {
    for (const auto& finding : lt::findingsOfType(report, "growth"))
        if (finding["resource"] == "memory" && lt::stackHasFunction(finding, function)) return true;
    return false;
}

std::string oneLine(const std::string& text) {
    return text.find('\n') == text.size() - 1 ? text : "more than one line: " + text;
}

}  // namespace

TEST_CASE("attach names the leaking function of a daemon started without the tool, which runs on intact",
          "[attach]") {
    lt::TemporaryDirectory dir;
    Daemon daemon(dir.path());
    Background attach(attachArgs(daemon.pid(), dir.path(), {"--check"}), dir.path() + "/attach");
    // Attached once the first snapshot is there (or the attach failed).
    REQUIRE(waitFor([&] { return !lt::listSnapshots(dir.path() + "/snapshots").empty() || attach.err().find("leakscope: attach: attached") == std::string::npos && !attach.err().empty(); }));
    if (lt::listSnapshots(dir.path() + "/snapshots").empty()) {
        int code = attach.wait();
        skipUnlessPermitted({code, false, attach.out(), attach.err(), {}});
        FAIL("attach failed: " << attach.err());
    }
    // The daemon now frees and resizes its early blocks and closes its early pipe, while attached.
    lt::writeFile(daemon.stop + ".release", "");
    REQUIRE(waitFor([&] {
        auto requests = requestsIn(lt::readFile(daemon.data));
        return !requests.empty() && requests.back().released == 64;
    }));
    // Enough interval snapshots for the growth rule to judge (docs/analysis.md), however slow the machine:
    // the window is counted in snapshots, not in seconds.
    REQUIRE(waitFor([&] { return lt::listSnapshots(dir.path() + "/snapshots").size() >= 12; }));
    kill(attach.pid(), SIGINT);  // Ctrl-C ends the attach
    int attach_status = attach.wait();
    INFO("attach stderr: " << attach.err());
    CHECK(attach_status == 1);  // --check: the leak fails the gate
    size_t at_detach = daemon.requests();
    REQUIRE(waitFor([&] { return daemon.requests() >= at_detach + 30; }));  // it runs on
    const std::string ready_line = "ready " + daemon.pid() + "\n";
    lt::writeFile(daemon.stop, "");
    CHECK(daemon.process.wait() == 0);
    CHECK(daemon.process.err().empty());  // the tool never writes to the program's stderr
    CHECK(daemon.process.out() == ready_line);

    auto report = nlohmann::json::parse(lt::readFile(dir.path() + "/report.json"));
    CHECK(hasGrowthIn(report, "remember_session"));
    // 64 frees and reallocs of blocks from before the attach, and a close of a pipe from before it.
    CHECK(report["summary"]["bad_frees"] == 0);
    CHECK(report["summary"]["bad_closes"] == 0);
    CHECK(report["summary"]["double_closes"] == 0);

    // The data: every request in order with its own checksum, and open() got the lowest free fd, as
    // without the tool: one number while the early pipe was open, the pipe's own after, during the
    // attach as after it (snapshots are written with a copy of the fd table: docs/attach.md).
    auto requests = requestsIn(lt::readFile(daemon.data));
    REQUIRE(requests.size() >= at_detach + 30);
    REQUIRE(requests.back().released == 64);
    const int with_pipe = requests.front().fd, after_pipe = requests.back().fd;
    CHECK(after_pipe < with_pipe);
    for (size_t i = 0; i < requests.size(); ++i) {
        INFO("request " << requests[i].number << " fd " << requests[i].fd);
        CHECK(requests[i].number == static_cast<long>(i + 1));
        CHECK(requests[i].sum == expectedSum(requests[i].number));
        CHECK(requests[i].fd == (requests[i].released >= 10 ? after_pipe : with_pipe));
    }
    CHECK(lt::readFile(daemon.data).find("done " + std::to_string(requests.size())) != std::string::npos);
}

// Issue 21 ("fd numbers as without the attach") at its worst: the tool thread writes a snapshot every
// 2 ms while the daemon opens /dev/null every millisecond. Each open() must get the number it gets
// before the attach (the lowest free one); a snapshot file or /proc listing in the program's fd table,
// even for two system calls, would show up as a higher number.
TEST_CASE("while attached with a short interval, every open() of the daemon gets a plain run's number",
          "[attach]") {
    lt::TemporaryDirectory dir;
    Daemon daemon(dir.path(), LEAKSCOPE_TARGET_ATTACH_DAEMON, "1");
    Background attach(attachArgs(daemon.pid(), dir.path(), {"--duration", "3"}, "2"), dir.path() + "/attach");
    int attach_status = attach.wait();
    skipUnlessPermitted({attach_status, false, attach.out(), attach.err(), {}});
    INFO("attach stderr: " << attach.err());
    CHECK(attach_status == 0);
    const size_t snapshots = lt::listSnapshots(dir.path() + "/snapshots").size();
    CHECK(snapshots >= 50);  // enough snapshots ran alongside the requests to meet them
    lt::writeFile(daemon.stop, "");
    CHECK(daemon.process.wait() == 0);
    CHECK(daemon.process.err().empty());
    auto requests = requestsIn(lt::readFile(daemon.data));
    REQUIRE(requests.size() >= 100);
    size_t differing = 0;
    for (const Request& request : requests)
        if (request.fd != requests.front().fd) ++differing;
    INFO(requests.size() << " requests over " << snapshots << " snapshots, the first got fd " << requests.front().fd);
    CHECK(differing == 0);
}

TEST_CASE("a second attach to the same process works, and snap works while attached", "[attach]") {
    lt::TemporaryDirectory dir;
    Daemon daemon(dir.path());
    for (const char* round : {"first", "second"}) {
        INFO(round << " attach");
        std::string out = dir.path() + "/" + round;
        fs::create_directory(out);
        Background attach(attachArgs(daemon.pid(), out, {"--duration", "3"}), out + "/attach");
        // Attached when the first snapshot is there; its "attached to" line comes earlier, so only
        // another line on stderr (a refusal) ends the wait without one.
        bool attached = waitFor([&] {
            std::string err = attach.err();
            return !lt::listSnapshots(out + "/snapshots").empty() || (!err.empty() && err.find("attached to") == std::string::npos);
        });
        if (lt::listSnapshots(out + "/snapshots").empty()) {
            int code = attach.wait();
            skipUnlessPermitted({code, false, attach.out(), attach.err(), {}});
            FAIL("attach failed: " << attach.err());
        }
        REQUIRE(attached);
        auto snap = lt::runAnalyzer({"snap", daemon.pid(), "asked"});
        CHECK(snap.exit_code == 0);
        CHECK(snap.out.find("-asked.lksnap") != std::string::npos);
        CHECK(attach.wait() == 0);
        auto report = nlohmann::json::parse(lt::readFile(out + "/report.json"));
        CHECK(hasGrowthIn(report, "remember_session"));
    }
    auto after = lt::runAnalyzer({"snap", daemon.pid()});
    CHECK(after.exit_code == 2);
    CHECK(after.err.find("not attached now") != std::string::npos);
    lt::writeFile(daemon.stop, "");
    CHECK(daemon.process.wait() == 0);
    CHECK(daemon.process.err().empty());
}

TEST_CASE("attach reports what it captured when the process exits while attached", "[attach]") {
    lt::TemporaryDirectory dir;
    Daemon daemon(dir.path());
    Background attach(attachArgs(daemon.pid(), dir.path(), {"--check"}), dir.path() + "/attach");
    bool attached = waitFor([&] { return lt::listSnapshots(dir.path() + "/snapshots").size() >= 12 || !attach.err().empty() && attach.err().find("attached to") == std::string::npos; });
    if (lt::listSnapshots(dir.path() + "/snapshots").empty()) {
        int code = attach.wait();
        skipUnlessPermitted({code, false, attach.out(), attach.err(), {}});
        FAIL("attach failed: " << attach.err());
    }
    REQUIRE(attached);
    lt::writeFile(daemon.stop, "");
    CHECK(daemon.process.wait() == 0);
    CHECK(attach.wait() == 1);  // as the gate says: the leak grew while attached
    CHECK(attach.err().find("exited while attached") != std::string::npos);
    auto report = nlohmann::json::parse(lt::readFile(dir.path() + "/report.json"));
    CHECK(hasGrowthIn(report, "remember_session"));
}

namespace {

// A daemon whose requests allocate through something other than malloc: attached, its per-request
// leak is named and its allocate+release pairs balance, with no bad free, and it runs on intact.
[[maybe_unused]] void requireAttachSeesAllocator(const char* program) {
    lt::TemporaryDirectory dir;
    Daemon daemon(dir.path(), program);
    Background attach(attachArgs(daemon.pid(), dir.path(), {"--check"}), dir.path() + "/attach");
    bool attached = waitFor([&] {
        return lt::listSnapshots(dir.path() + "/snapshots").size() >= 12 ||
               (!attach.err().empty() && attach.err().find("attached to") == std::string::npos);
    });
    if (lt::listSnapshots(dir.path() + "/snapshots").empty()) {
        int code = attach.wait();
        skipUnlessPermitted({code, false, attach.out(), attach.err(), {}});
        FAIL("attach failed: " << attach.err());
    }
    REQUIRE(attached);
    kill(attach.pid(), SIGINT);
    INFO("attach stderr: " << attach.err());
    CHECK(attach.wait() == 1);  // --check: the leak fails the gate
    const size_t at_detach = daemon.requests();
    REQUIRE(waitFor([&] { return daemon.requests() >= at_detach + 20; }));  // it runs on, unhooked
    const std::string ready_line = "ready " + daemon.pid() + "\n";
    lt::writeFile(daemon.stop, "");
    CHECK(daemon.process.wait() == 0);
    CHECK(daemon.process.err().empty());
    CHECK(daemon.process.out() == ready_line);

    auto report = nlohmann::json::parse(lt::readFile(dir.path() + "/report.json"));
    CHECK(hasGrowthIn(report, "remember_session"));      // allocated, never released
    CHECK_FALSE(hasGrowthIn(report, "build_response"));  // allocated and released: both seen
    CHECK(report["summary"]["bad_frees"] == 0);
    for (const Request& request : requestsIn(lt::readFile(daemon.data))) {
        INFO("request " << request.number);
        CHECK(request.sum == expectedSum(request.number));
    }
}

}  // namespace

// jemalloc's extended API: libleakscope-attach does not export mallocx/sdallocx (no library does but
// jemalloc), so the attach must redirect their slots as the preload's constructor does: without it the
// mallocx leak was missed (an empty report).
TEST_CASE("attach to a daemon on jemalloc's mallocx names its leak, and its sdallocx frees are frees",
          "[attach][jemalloc]") {
#ifndef LEAKSCOPE_TARGET_ATTACH_JEMALLOC_DAEMON
    SKIP_TEST("jemalloc is not installed (Debian: libjemalloc-dev; scripts/setup installs it)");
#else
    requireAttachSeesAllocator(LEAKSCOPE_TARGET_ATTACH_JEMALLOC_DAEMON);
#endif
}

// C++ new[]/delete[] on libjemalloc.so.2's own operators, which call neither malloc nor mallocx through
// a slot: the attach must redirect the operators themselves, as the preload exports them.
TEST_CASE("attach to a C++ daemon on jemalloc's operator new names its leak, and delete[] frees",
          "[attach][jemalloc]") {
#ifndef LEAKSCOPE_TARGET_ATTACH_JEMALLOC_CXX_DAEMON
    SKIP_TEST("jemalloc is not installed (Debian: libjemalloc-dev; scripts/setup installs it)");
#else
    requireAttachSeesAllocator(LEAKSCOPE_TARGET_ATTACH_JEMALLOC_CXX_DAEMON);
#endif
}

TEST_CASE("attach refuses in one line with exit code 2", "[attach]") {
    lt::TemporaryDirectory dir;
    SECTION("no such process") {
        pid_t gone = fork();
        if (gone == 0) _exit(0);
        waitpid(gone, nullptr, 0);
        auto result = lt::runAnalyzer({"attach", std::to_string(gone), "--out", dir.path() + "/s"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err) == "leakscope: attach: no such process " + std::to_string(gone) + "\n");
    }
    SECTION("not a process id") {
        auto result = lt::runAnalyzer({"attach", "12x"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err).find("is not a process id") != std::string::npos);
    }
    SECTION("a statically linked program") {
        Daemon program(dir.path(), LEAKSCOPE_TARGET_ATTACH_STATIC_PROGRAM);
        auto result = lt::runAnalyzer({"attach", program.pid(), "--out", dir.path() + "/s"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err).find("is statically linked") != std::string::npos);
        lt::writeFile(program.stop, "");
        CHECK(program.process.wait() == 0);
    }
    SECTION("a program already under the preload") {
        std::string script = "LD_PRELOAD=" + lt::preloadPath() + " LEAKSCOPE_OUTPUT_DIR=" + dir.path() +
                             "/preloaded exec " + LEAKSCOPE_TARGET_ATTACH_DAEMON + " " + dir.path() + "/data " +
                             dir.path() + "/stop 10";
        Background program({"/bin/sh", "-c", script}, dir.path() + "/preloaded");
        REQUIRE(waitFor([&] { return program.out().rfind("ready ", 0) == 0; }));
        auto result = lt::runAnalyzer({"attach", std::to_string(program.pid()), "--out", dir.path() + "/s"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err).find("already runs under the preload") != std::string::npos);
        lt::writeFile(dir.path() + "/stop", "");
        CHECK(program.wait() == 0);
    }
    SECTION("a stopped process: named as stopped, nothing loaded into it") {
        // Found by a new user: the attach used to wait 10 s for a call the stopped process never ran and
        // left libleakscope-attach.so mapped in it.
        Daemon daemon(dir.path());
        REQUIRE(kill(daemon.process.pid(), SIGSTOP) == 0);
        REQUIRE(waitFor([&] {
            std::string stat = lt::readFile("/proc/" + daemon.pid() + "/stat");
            size_t close = stat.rfind(')');
            return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
        }));
        auto result = lt::runAnalyzer({"attach", daemon.pid(), "--out", dir.path() + "/s"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err) == "leakscope: attach: process " + daemon.pid() + " is stopped (SIGSTOP or job "
                                     "control): resume it with `kill -CONT " + daemon.pid() + "` first\n");
        CHECK_FALSE(fs::exists(dir.path() + "/s"));
        CHECK(lt::readFile("/proc/" + daemon.pid() + "/maps").find("libleakscope-attach") == std::string::npos);
        REQUIRE(kill(daemon.process.pid(), SIGCONT) == 0);
        lt::writeFile(daemon.stop, "");
        CHECK(daemon.process.wait() == 0);
    }
    SECTION("a zombie: named as exited before any question of rights, nothing made") {
        // Found by a new user as root: the refusal blamed ptrace rights ("not dumpable ... run as root").
        pid_t zombie = fork();
        if (zombie == 0) _exit(0);
        const std::string id = std::to_string(zombie);
        REQUIRE(waitFor([&] {
            std::string stat = lt::readFile("/proc/" + id + "/stat");
            size_t close = stat.rfind(')');
            return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
        }));
        auto result = lt::runAnalyzer({"attach", id, "--out", dir.path() + "/s"});
        waitpid(zombie, nullptr, 0);
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err) ==
              "leakscope: attach: process " + id + " has exited (a zombie its parent has not reaped): nothing to attach to\n");
        CHECK_FALSE(fs::exists(dir.path() + "/s"));
    }
    SECTION("a process whose main thread exited, running on: not called a zombie, nothing made") {
        // /proc/PID/stat says Z (the main thread's state) and its maps are empty, while the threads run on.
        Background daemon({LEAKSCOPE_TARGET_ATTACH_BLOCKED_DAEMON, "ptexit"}, dir.path() + "/daemon");
        const std::string id = std::to_string(daemon.pid());
        REQUIRE(waitFor([&] { return daemon.out().rfind("ready ", 0) == 0; }));
        REQUIRE(waitFor([&] {
            std::string stat = lt::readFile("/proc/" + id + "/stat");
            size_t close = stat.rfind(')');
            return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
        }));
        auto result = lt::runAnalyzer({"attach", id, "--out", dir.path() + "/s"});
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err) == "leakscope: attach: process " + id + " runs on without its main thread (it called "
                                     "pthread_exit), whose memory map attach reads: not supported; `leakscope run` "
                                     "tracks such a program from its start\n");
        CHECK_FALSE(fs::exists(dir.path() + "/s"));
        kill(daemon.pid(), SIGUSR1);  // the waker ends it
        CHECK(daemon.wait() == 0);
        CHECK(daemon.out() == "ready " + id + "\npong\n");
    }
    SECTION("a library the process cannot load: nothing is left behind") {
        // The injection itself fails (dlopen in the daemon refuses a file that is not ELF), after the
        // output directory was made: the directories this attach made go again, the default's too.
        Daemon daemon(dir.path());
        lt::writeFile(dir.path() + "/not-a-library.so", "not an ELF file\n");
        lt::ProcessOptions options;
        options.set_env["LEAKSCOPE_ATTACH_LIBRARY"] = dir.path() + "/not-a-library.so";
        auto nested = lt::runAnalyzer({"attach", daemon.pid(), "--out", dir.path() + "/new/deeper/s"}, options);
        skipUnlessPermitted(nested);
        CHECK(nested.exit_code == 2);
        CHECK(oneLine(nested.err).find("could not load") != std::string::npos);
        CHECK_FALSE(fs::exists(dir.path() + "/new"));
        fs::create_directory(dir.path() + "/cwd");
        options.working_directory = dir.path() + "/cwd";
        auto by_default = lt::runAnalyzer({"attach", daemon.pid()}, options);
        CHECK(by_default.exit_code == 2);
        CHECK(fs::is_empty(dir.path() + "/cwd"));
        // An --out that existed before stays, with what it held.
        fs::create_directory(dir.path() + "/kept");
        lt::writeFile(dir.path() + "/kept/notes.txt", "mine\n");
        auto existing = lt::runAnalyzer({"attach", daemon.pid(), "--out", dir.path() + "/kept"}, options);
        CHECK(existing.exit_code == 2);
        CHECK(lt::readFile(dir.path() + "/kept/notes.txt") == "mine\n");
        lt::writeFile(daemon.stop, "");
        CHECK(daemon.process.wait() == 0);
    }
    SECTION("another user's process, without the right to trace it") {
        if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) SKIP_TEST("needs root and setpriv to run as nobody");
        Daemon daemon(dir.path());
        std::string out = "/tmp/leakscope-attach-test-" + std::to_string(getpid());
        auto result = lt::runProcess({"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                      lt::analyzerPath(), "attach", daemon.pid(), "--out", out});
        fs::remove_all(out);
        INFO("stderr: " << result.err);
        CHECK(result.exit_code == 2);
        CHECK(oneLine(result.err).find("not permitted to attach") != std::string::npos);
        lt::writeFile(daemon.stop, "");
        CHECK(daemon.process.wait() == 0);
    }
}

namespace {

// Every thread of `pid` is blocked in a system call (none "running"), and there are `count` of them.
bool allThreadsBlocked(pid_t pid, size_t count) {
    size_t blocked = 0;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string line = lt::readFile((it->path() / "syscall").string());
        if (line.empty() || line.rfind("running", 0) == 0 || line[0] == '-') return false;
        ++blocked;
    }
    return blocked == count;
}

// `attach` for `duration_s` seconds with a limit far beyond its documented deadlines (a hang fails the
// test instead of stalling it); skipped where tracing is not permitted. Returns attach's stderr.
lt::ProcessResult attachFor(const std::string& pid, const std::string& dir, std::vector<std::string> extra) {
    lt::ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    auto attach = lt::runProcess(attachArgs(pid, dir, std::move(extra)), options);
    skipUnlessPermitted(attach);
    return attach;
}

// The context-switch counts ("voluntary nonvoluntary") of the process's threads other than the main one,
// by thread id: they change when a thread is stopped and resumed, and not while it sleeps in a futex wait.
std::map<std::string, std::string> futexThreadSwitches(pid_t pid) {
    std::map<std::string, std::string> switches;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string thread = it->path().filename().string();
        if (thread == std::to_string(pid)) continue;
        std::istringstream status(lt::readFile((it->path() / "status").string()));
        std::string counts;
        for (std::string line; std::getline(status, line);)
            if (line.find("ctxt_switches:") != std::string::npos) counts += line.substr(line.find(':') + 1);
        switches[thread] = counts;
    }
    return switches;
}

std::string tracerOf(pid_t pid) {
    std::istringstream status(lt::readFile("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(status, line);)
        if (line.rfind("TracerPid:", 0) == 0) return line;
    return "";
}

}  // namespace

// Before: the injector borrowed a thread waiting on a condition variable and waited for it to reach a
// system call without a deadline: `attach` never returned (redis-server's bio_* threads).
TEST_CASE("attach to a daemon whose threads all wait on condition variables keeps its deadline and refuses in "
          "one line, the daemon runs on untouched", "[attach]") {
    lt::TemporaryDirectory dir;
    Background daemon({LEAKSCOPE_TARGET_ATTACH_BLOCKED_DAEMON, "join"}, dir.path() + "/daemon");
    const std::string pid = std::to_string(daemon.pid());
    REQUIRE(waitFor([&] { return daemon.out().rfind("ready ", 0) == 0; }));
    REQUIRE(waitFor([&] { return allThreadsBlocked(daemon.pid(), 5); }));
    auto attach = attachFor(pid, dir.path(), {});
    INFO("attach stderr: " << attach.err);
    CHECK_FALSE(attach.timed_out);
    CHECK(attach.exit_code == 2);
    CHECK(oneLine(attach.err) == attach.err);
    CHECK(attach.err.find("process " + std::to_string(daemon.pid()) + ": none of its 5 threads reached a safe point") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(dir.path() + "/snapshots"));  // a refused attach leaves nothing behind
    CHECK(tracerOf(daemon.pid()) == "TracerPid:\t0");
    // Untouched: the signal wakes it, it answers and exits as without the attempt.
    REQUIRE(waitFor([&] { return allThreadsBlocked(daemon.pid(), 5); }));
    kill(daemon.pid(), SIGUSR1);
    CHECK(daemon.wait() == 0);
    CHECK(daemon.out() == "ready " + pid + "\npong\n");
    CHECK(daemon.err().empty());
}

TEST_CASE("attach to a daemon idle in epoll_wait with condition-variable threads borrows the event-loop thread",
          "[attach]") {
    lt::TemporaryDirectory dir;
    Background daemon({LEAKSCOPE_TARGET_ATTACH_BLOCKED_DAEMON, "epoll"}, dir.path() + "/daemon");
    const std::string pid = std::to_string(daemon.pid());
    REQUIRE(waitFor([&] { return daemon.out().rfind("ready ", 0) == 0; }));
    REQUIRE(waitFor([&] { return allThreadsBlocked(daemon.pid(), 5); }));
    const std::map<std::string, std::string> switches_before = futexThreadSwitches(daemon.pid());
    auto attach = attachFor(pid, dir.path(), {"--duration", "1"});
    INFO("attach stderr: " << attach.err);
    CHECK_FALSE(attach.timed_out);
    REQUIRE(attach.exit_code == 0);
    // Tried first, each futex-waiting thread was stopped and let go after 1 s without a safe point (redis:
    // 5 s to attach); now the event loop is tried before them and they are never touched: a thread
    // stopped by a tracer is switched out and in again, which its context-switch counts would show.
    CHECK(switches_before.size() == 4);
    CHECK(futexThreadSwitches(daemon.pid()) == switches_before);
    // The main thread (its epoll_wait returns EINTR, which the loop retries): the only one with a safe point.
    CHECK(attach.err.find("attached to " + pid + " (attach_blocked_): thread " + pid + " stopped") != std::string::npos);
    CHECK(lt::listSnapshots(dir.path() + "/snapshots").size() >= 2);
    CHECK(tracerOf(daemon.pid()) == "TracerPid:\t0");
    kill(daemon.pid(), SIGUSR1);
    CHECK(daemon.wait() == 0);
    CHECK(daemon.out() == "ready " + pid + "\npong\n");
    CHECK(daemon.err().empty());
}

namespace {

// redis' answer to one inline command over its unix socket, "" when it did not answer within 10 s.
std::string redisCommand(const std::string& socket_path, const std::string& command) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path.c_str());
    std::string answer;
    std::string line = command + "\r\n";
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
        pollfd readable{fd, POLLIN, 0};
        char buffer[256];
        while (answer.find("\r\n") == std::string::npos && poll(&readable, 1, 10000) == 1) {
            ssize_t got = read(fd, buffer, sizeof(buffer));
            if (got <= 0) break;
            answer.append(buffer, static_cast<size_t>(got));
        }
    }
    close(fd);
    return answer;
}

}  // namespace

TEST_CASE("attach to a running redis-server: attached, snapshots, detached, and redis answers PING after",
          "[attach]") {
    const char* redis = "/usr/bin/redis-server";
    if (access(redis, X_OK) != 0) SKIP_TEST("redis-server is not installed (" << redis << ")");
    lt::TemporaryDirectory dir;
    const std::string socket_path = dir.path() + "/redis.sock";
    if (socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) SKIP_TEST("temporary path too long for a unix socket");
    Background server({redis, "--port", "0", "--unixsocket", socket_path, "--save", "", "--appendonly", "no",
                       "--daemonize", "no", "--dir", dir.path()},
                      dir.path() + "/redis");
    REQUIRE(waitFor([&] { return redisCommand(socket_path, "PING") == "+PONG\r\n"; }));
    const std::string pid = std::to_string(server.pid());
    auto attach = attachFor(pid, dir.path(), {"--duration", "2"});
    INFO("attach stderr: " << attach.err);
    CHECK_FALSE(attach.timed_out);
    REQUIRE(attach.exit_code == 0);
    CHECK(attach.err.find("attached to " + pid + " (redis-server)") != std::string::npos);
    CHECK(lt::listSnapshots(dir.path() + "/snapshots").size() >= 2);
    CHECK(nlohmann::json::parse(lt::readFile(dir.path() + "/report.json")).contains("summary"));
    CHECK(tracerOf(server.pid()) == "TracerPid:\t0");
    CHECK(redisCommand(socket_path, "PING") == "+PONG\r\n");
    CHECK(redisCommand(socket_path, "SET attached yes") == "+OK\r\n");
    CHECK(redisCommand(socket_path, "GET attached").rfind("$3\r\n", 0) == 0);  // a 3-byte value ("yes")
}
