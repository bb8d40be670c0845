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
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t g_child = 0;

// SIGINT/SIGTERM to leakscope go to the program: it decides how to stop, and its exit snapshot is written.
void forwardSignal(int signal_number) {
    if (g_child > 0) kill(pid_t(g_child), signal_number);
}

// The preload: $LEAKSCOPE_PRELOAD, else next to this binary, in the build tree (../preload/), or in
// an install tree (../lib/leakscope/, ../lib/).
std::string findPreload() {
    if (const char* configured = std::getenv("LEAKSCOPE_PRELOAD"); configured && *configured) return configured;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
    for (const char* candidate : {"libleakscope.so", "../preload/libleakscope.so", "../lib/leakscope/libleakscope.so",
                                  "../lib/libleakscope.so", "../lib/x86_64-linux-gnu/leakscope/libleakscope.so"}) {
        fs::path path = self / candidate;
        if (fs::is_regular_file(path, ec)) return fs::weakly_canonical(path, ec).string();
    }
    return "";
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
}

// Every file of an earlier run in `dir` that a report over `dir` would read (listSnapshotFiles walks
// the tree), plus the preload's leftovers (.tmp- partial files, .request- files).
std::vector<fs::path> earlierRunFiles(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (it->is_regular_file(ec) && (it->path().extension() == ".lksnap" || name.rfind(".request-", 0) == 0))
            files.push_back(it->path());
    }
    return files;
}

// Makes the snapshot directory ready before PROG starts, so that a report never mixes runs and a
// directory the preload would refuse is an immediate usage error rather than a run without snapshots.
// `--out DIR`: a symlink, a non-directory, a directory of another user or one holding an earlier run's
// snapshots is refused (the last one is emptied of snapshot files instead with --force). No --out:
// ./leakscope-out/<prog>-<pid of leakscope>, with a -2, -3... suffix should that name already exist.
// Returns the directory, or "" after printing one line.
std::string prepareOutputDirectory(const RunOptions& options, const std::string& program_name) {
    std::error_code ec;
    if (options.out_dir.empty()) {
        std::string base = "leakscope-out/" + program_name + "-" + std::to_string(getpid());
        fs::create_directories("leakscope-out", ec);
        for (int attempt = 1; attempt < 1000; ++attempt) {
            std::string candidate = attempt == 1 ? base : base + "-" + std::to_string(attempt);
            if (mkdir(candidate.c_str(), 0700) == 0) return candidate;
            if (errno != EEXIST) {
                std::cerr << "leakscope: run: cannot create " << candidate << ": " << std::strerror(errno) << "\n";
                return "";
            }
        }
        std::cerr << "leakscope: run: no free directory name " << base << "-N in leakscope-out; use --out\n";
        return "";
    }
    const std::string& dir = options.out_dir;
    struct stat status {};
    if (lstat(dir.c_str(), &status) != 0) {
        // New: created (parents too), the directory itself 0700 like the preload would make it.
        fs::create_directories(dir, ec);
        if (ec || chmod(dir.c_str(), 0700) != 0) {
            std::cerr << "leakscope: run: --out " << dir << ": cannot create the directory: "
                      << (ec ? ec.message() : std::strerror(errno)) << "\n";
            return "";
        }
        return dir;
    }
    const char* refusal = S_ISLNK(status.st_mode)   ? "is a symbolic link; the preload refuses to write through one"
                          : !S_ISDIR(status.st_mode) ? "exists and is not a directory"
                          : status.st_uid != geteuid() ? "is owned by another user; the preload refuses to write into it"
                                                       : nullptr;
    if (refusal) {
        std::cerr << "leakscope: run: --out " << dir << " " << refusal << "\n";
        return "";
    }
    std::vector<fs::path> earlier = earlierRunFiles(dir);
    if (earlier.empty()) return dir;
    if (!options.force) {
        std::cerr << "leakscope: run: --out " << dir << " already holds " << earlier.size()
                  << " snapshot file(s) of an earlier run, which the report would mix with this one; "
                     "use a new directory, or --force to delete them first\n";
        return "";
    }
    for (const fs::path& file : earlier) {
        if (!fs::remove(file, ec) && ec) {
            std::cerr << "leakscope: run: --force: cannot delete " << file.string() << ": " << ec.message() << "\n";
            return "";
        }
    }
    return dir;
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
    std::string preload = findPreload();
    if (preload.empty() || !fs::is_regular_file(preload))
        return std::cerr << "leakscope: run: cannot find libleakscope.so (looked next to leakscope, in ../preload, ../lib/leakscope, ../lib; set LEAKSCOPE_PRELOAD)\n",
               kExitInputError;

    std::string program_name = fs::path(options.program[0]).filename().string();
    std::string out_dir = prepareOutputDirectory(options, program_name);
    if (out_dir.empty()) return kExitInputError;
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
