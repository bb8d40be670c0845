#include "ProcessRunner.h"

#include "HangReport.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace leakscope::testing {
namespace {

std::vector<std::string> buildEnvironment(const ProcessOptions& options) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& name : options.unset_env) env.erase(name);
    for (const auto& [name, value] : options.set_env) env[name] = value;
    std::vector<std::string> result;
    for (const auto& [name, value] : env) result.push_back(name + "=" + value);
    return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& s : strings) result.push_back(s.data());
    result.push_back(nullptr);
    return result;
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
    if (argv.empty()) throw std::runtime_error("runProcess: empty argv");
    int out_pipe[2], err_pipe[2], in_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (options.stdin_data) {
        posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    if (!options.working_directory.empty())
        posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());

    auto env_strings = buildEnvironment(options);
    auto envp = pointers(env_strings);
    std::vector<std::string> args(argv);
    auto argp = pointers(args);

    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    close(in_pipe[0]);
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        close(in_pipe[1]);
        throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
    }
    if (options.stdin_data) {
        // Small inputs only: tests feed a few lines at most, well under the pipe buffer.
        ssize_t ignored = write(in_pipe[1], options.stdin_data->data(), options.stdin_data->size());
        (void)ignored;
    }
    close(in_pipe[1]);

    ProcessResult result;
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    // The output pipes, by inode: a process outside the tree that still holds one (an orphan that
    // outlived the program) is part of the hang too.
    std::vector<ino_t> pipes;
    for (int fd : {out_pipe[0], err_pipe[0]}) {
        struct stat pipe_stat {};
        if (fstat(fd, &pipe_stat) == 0) pipes.push_back(pipe_stat.st_ino);
    }
    // Once killed, the wait for the end has a bound of its own (set at the kill).
    auto kill_deadline = std::chrono::steady_clock::time_point::max();
    // At the deadline: what it was doing first (the report reads the live process), then its
    // descendants are listed (once it is dead they are reparented and cannot be found) and all killed.
    auto giveUp = [&] {
        result.timed_out = true;
        if (options.describe_hang) {
            result.hang_report = describeHungProcess(pid, pipes);
            result.err += "\n[test runner: no exit after " + std::to_string(options.timeout.count()) +
                          " s; what each thread was doing]\n" + result.hang_report;
        }
        const std::vector<pid_t> descendants = processDescendants(pid);
        kill(pid, SIGKILL);
        for (const pid_t descendant : descendants) kill(descendant, SIGKILL);
        kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    };
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_streams = 2;
    char buffer[65536];
    while (open_streams > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            giveUp();
            break;
        }
        int n = poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(got));
            } else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_streams;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    // The pipes can reach EOF before the process has finished exiting (it closed them, or a thread is
    // stuck in its exit): the wait keeps the same deadline, so a hang there is reported as one instead of
    // blocking the test until CTest's own timeout, without output.
    // After SIGKILL the wait has a bound too: a process that SIGKILL does not end (a thread stuck
    // uninterruptibly in the kernel) is left unreaped, and said so, rather than blocking the test.
    int status = 0;
    bool reaped = false;
    for (;;) {
        const pid_t waited = waitpid(pid, &status, WNOHANG);
        if (waited == pid || (waited < 0 && errno != EINTR)) {
            reaped = waited == pid;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (waited == 0 && !result.timed_out && now >= deadline) {
            giveUp();
        } else if (waited == 0 && result.timed_out && now >= kill_deadline) {
            result.err += "\n[test runner: process " + std::to_string(pid) + " did not end 30 s after SIGKILL]\n";
            break;
        }
        if (waited == 0) usleep(2000);
    }
    if (!reaped) return result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
    return result;
}

TemporaryDirectory::TemporaryDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/leakscope-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    path_ = buffer.data();
}

TemporaryDirectory::~TemporaryDirectory() {
    if (std::getenv("LEAKSCOPE_KEEP_TEST_DIRS")) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << content;
}

}  // namespace leakscope::testing
