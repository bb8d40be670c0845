// `leakscope run [options] -- PROG ARGS...`: runs PROG under the preload, then reports on every
// snapshot its processes wrote (and with --check, gates). The exit code never hides PROG's own failure
// (docs/cli.md, "Exit codes"): without --check it is PROG's status (128+N when killed by signal N), so
// `leakscope run` can stand in for the program in scripts; with --check it is 1 when the gate finds a
// leak and PROG's status otherwise, so a crashing or failing test stays failed under the gate.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "commands/Commands.h"
#include "commands/OutputDirectory.h"
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t g_child = 0;

// SIGINT/SIGTERM to leakscope go to the program: it decides how to stop, and its exit snapshot is written.
void forwardSignal(int signal_number) {
    if (g_child > 0) kill(pid_t(g_child), signal_number);
}

void setEnvironment(const RunOptions& options, const std::string& preload, const std::string& out_dir) {
    // First: a user's own preload (jemalloc, tcmalloc) listed before ours would resolve malloc first and
    // hide every allocation from the hooks; ours forwards to the next definition, so theirs still serves.
    const char* existing = std::getenv("LD_PRELOAD");
    std::string ld_preload = existing && *existing ? preload + ":" + existing : preload;
    setenv("LD_PRELOAD", ld_preload.c_str(), 1);
    setenv("LEAKSCOPE_OUTPUT_DIR", out_dir.c_str(), 1);
    if (options.depth > 0) setenv("LEAKSCOPE_DEPTH", std::to_string(options.depth).c_str(), 1);
    if (options.interval_ms >= 0) setenv("LEAKSCOPE_INTERVAL_MS", std::to_string(options.interval_ms).c_str(), 1);
    if (!options.fail_alloc.empty()) setenv("LEAKSCOPE_FAIL_ALLOC", options.fail_alloc.c_str(), 1);
    setenv("LEAKSCOPE_FOLLOW_EXEC", options.no_follow_exec ? "0" : "1", 1);
    if (options.reachability) setenv("LEAKSCOPE_REACHABILITY", "all", 1);
    if (options.track_sandboxed) setenv("LEAKSCOPE_SECCOMP", "track", 1);
}

int exitStatusOf(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return kExitInputError;
}

// "exited with status 3", "killed by SIGSEGV": how a shell user would name the end of the program.
std::string describeEnd(int status) {
    if (WIFSIGNALED(status)) {
        const char* name = sigabbrev_np(WTERMSIG(status));
        std::string end = name ? std::string("killed by SIG") + name : "killed by signal " + std::to_string(WTERMSIG(status));
        return WCOREDUMP(status) ? end + " (core dumped)" : end;
    }
    return "exited with status " + std::to_string(exitStatusOf(status));
}

}  // namespace

int runProgram(RunOptions options) {
    if (options.program.empty()) return std::cerr << "leakscope: run: no program given (leakscope run [options] -- PROG ARGS...)\n", kExitInputError;
    std::string preload = findToolLibrary("LEAKSCOPE_PRELOAD", "libleakscope.so");
    if (preload.empty() || !fs::is_regular_file(preload))
        return std::cerr << "leakscope: run: cannot find libleakscope.so (looked next to leakscope, in ../preload, ../lib/leakscope, ../lib; set LEAKSCOPE_PRELOAD)\n",
               kExitInputError;

    std::string program_name = fs::path(options.program[0]).filename().string();
    // A program that cannot be started leaves no directory behind (the default's leakscope-out/ too).
    DirectoriesMadeHere made(options.out_dir.empty() ? fs::path("leakscope-out") : fs::path(options.out_dir));
    std::string out_dir = prepareOutputDirectory("run", options.out_dir, options.force, program_name);
    if (out_dir.empty()) return kExitInputError;
    if (options.out_dir.empty()) made.add(out_dir);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return std::cerr << "leakscope: run: pipe: " << std::strerror(errno) << "\n", kExitInputError;
    pid_t child = fork();
    if (child < 0) return std::cerr << "leakscope: run: fork: " << std::strerror(errno) << "\n", kExitInputError;
    if (child == 0) {
        close(ready[0]);
        setEnvironment(options, preload, fs::absolute(out_dir).string());
        std::vector<char*> argv;
        for (auto& arg : options.program) argv.push_back(arg.data());
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        int error = errno;
        (void)!write(ready[1], &error, sizeof(error));  // tells the parent exec failed and why
        _exit(127);
    }
    close(ready[1]);
    g_child = child;
    struct sigaction forward {};
    forward.sa_handler = forwardSignal;
    sigaction(SIGINT, &forward, nullptr);
    sigaction(SIGTERM, &forward, nullptr);
    int exec_error = 0;
    ssize_t got;
    while ((got = read(ready[0], &exec_error, sizeof(exec_error))) < 0 && errno == EINTR) {
    }
    close(ready[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (got == sizeof(exec_error))
        return std::cerr << "leakscope: run: cannot execute " << options.program[0] << ": " << std::strerror(exec_error) << "\n",
               kExitInputError;
    made.keep();  // the program's snapshots (or its process record) are in it, or it was run and wrote none
    int program_status = exitStatusOf(status);
    bool failed = program_status != 0;

    options.report.inputs = {out_dir};
    if (!listSnapshotFiles(options.report.inputs).ok()) {
        // A program killed before its first snapshot explains itself; one that exited normally without
        // writing any most likely never loaded the preload (static binary, setuid, cleared environment).
        std::cerr << "leakscope: run: " << program_name << " " << describeEnd(status) << " and wrote no snapshots to "
                  << out_dir << (WIFSIGNALED(status) ? "\n" : " (was the preload loaded? a static or setuid program cannot load it)\n");
        return failed || !options.check ? program_status : kExitInputError;
    }
    if (failed) std::cerr << "leakscope: run: " << program_name << " " << describeEnd(status) << "\n";
    int reported = analyzeAndReport(options.report, options.check ? &options.gate : nullptr);
    if (reported == kExitLeakFound) return kExitLeakFound;
    // The program's own failure outranks a clean gate and a report that could not be written.
    if (failed || !options.check) return program_status;
    return reported;
}

}  // namespace leakscope::analyzer
