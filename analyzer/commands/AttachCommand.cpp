// `leakscope attach PID [options]`: tracks a process that was started without the tool, from now on
// (docs/attach.md). Loads libleakscope-attach.so into it with the ptrace injector (attach/), lets its
// tool thread write a snapshot at the start and every --interval, ends the session after --duration,
// on Ctrl-C, or when the process ends (a last snapshot, the redirected entries put back), then
// reports on the attached window the way `run` does, gate options included.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "attach/PtraceInjector.h"
#include "attach/TargetProcess.h"
#include "commands/Commands.h"
#include "commands/OutputDirectory.h"
#include "commands/SnapRequest.h"
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

constexpr auto kPollPeriod = std::chrono::milliseconds(50);
constexpr auto kDetachWait = std::chrono::seconds(10);

volatile sig_atomic_t g_stop_requested = 0;
void requestStop(int) { g_stop_requested = 1; }

int fail(const std::string& message) {
    std::cerr << "leakscope: attach: " << message << "\n";
    return kExitInputError;
}

// The same process still runs: its pid has the start time it had at the attach.
bool stillRunning(pid_t pid, uint64_t start_ticks) { return attach::processStartTicks(pid) == start_ticks; }

std::string settingsFor(const AttachOptions& options, const std::string& out_dir) {
    std::string text = "LEAKSCOPE_OUTPUT_DIR=" + out_dir + "\n";
    text += "LEAKSCOPE_INTERVAL_MS=" + std::to_string(options.interval_ms) + "\n";
    if (options.depth > 0) text += "LEAKSCOPE_DEPTH=" + std::to_string(options.depth) + "\n";
    // The session ends by itself should this leakscope die without detaching (docs/attach.md).
    text += "LEAKSCOPE_ATTACH_OWNER=" + std::to_string(getpid()) + "\n";
    return text;
}

// The registry entry `snap` reads (SnapRequest.h); its directory is ours alone (0700, not a link).
bool registerAttach(const std::string& pid, uint64_t start_ticks, const std::string& out_dir) {
    fs::path entry = attachRegistryPath(pid);
    ::mkdir(entry.parent_path().c_str(), 0700);
    struct stat status {};
    if (::lstat(entry.parent_path().c_str(), &status) != 0 || !S_ISDIR(status.st_mode) || status.st_uid != geteuid())
        return false;
    std::ofstream out(entry, std::ios::trunc);
    return static_cast<bool>(out << start_ticks << "\n" << out_dir << "\n");
}

const char* startRefusal(int status) {
    switch (status) {
        case 1: return "already runs under the preload: use `leakscope snap`";
        case 2: return "is already attached by another leakscope attach";
        case 3: return "refused the settings (the --out path is too long)";
        default: return "could not start the tracker (its tables could not be mapped)";
    }
}

// Asks the tool thread for the last snapshot and the end of the session, and waits for its answer
// (it removes the marker). False when it did not answer in time.
bool endSession(pid_t pid, uint64_t start_ticks, const fs::path& out_dir) {
    std::string id = std::to_string(pid);
    fs::path marker = out_dir / (".detach-" + id);
    { std::ofstream touch(marker); }
    sendSnapshotRequest(id, out_dir, "interval", SIGRTMIN + 7, false);
    auto deadline = std::chrono::steady_clock::now() + kDetachWait;
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!fs::exists(marker, ec) || !stillRunning(pid, start_ticks)) return true;
        std::this_thread::sleep_for(kPollPeriod);
    }
    return false;
}

}  // namespace

int runAttach(AttachOptions options) {
    const std::string& id = options.pid;
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 9 || std::stol(id) <= 0)
        return fail("PID \"" + id + "\" is not a process id");
    const auto pid = static_cast<pid_t>(std::stol(id));
    if (pid == getpid()) return fail("leakscope cannot attach to itself");
    if (std::string reason = attach::unattachableReason(pid); !reason.empty()) return fail(reason);
    if (!attachedOutputDir(id).empty() || (attach::findMappedFile(pid, "libleakscope-attach") && toolThreadOf(id)))
        return fail("process " + id + " is already attached by another leakscope attach");
    std::string library = findToolLibrary("LEAKSCOPE_ATTACH_LIBRARY", "libleakscope-attach.so");
    std::error_code ec;
    if (library.empty() || !fs::is_regular_file(library, ec))
        return fail("cannot find libleakscope-attach.so (looked next to leakscope, in ../preload, ../lib/leakscope, "
                    "../lib; set LEAKSCOPE_ATTACH_LIBRARY)");
    library = fs::absolute(library).string();

    const std::string name = attach::processName(pid);
    DirectoriesMadeHere made(options.out_dir.empty() ? fs::path("leakscope-out") : fs::path(options.out_dir));
    std::string out_dir = prepareOutputDirectory("attach", options.out_dir, options.force, name.empty() ? id : name);
    if (out_dir.empty()) return kExitInputError;
    if (options.out_dir.empty()) made.add(out_dir);  // the default's own leakscope-out/NAME-PID
    out_dir = fs::absolute(out_dir).lexically_normal().string();
    if (out_dir.find('\n') != std::string::npos) return fail("--out must not contain a newline");
    // The process writes its snapshots as its own user: root attaching to another user's process
    // hands the directory over to that user.
    long owner = attach::processUid(pid);
    if (geteuid() == 0 && owner > 0 && ::chown(out_dir.c_str(), static_cast<uid_t>(owner), static_cast<gid_t>(-1)) != 0)
        return fail("cannot hand " + out_dir + " to uid " + std::to_string(owner) + ": " + std::strerror(errno));
    const uint64_t start_ticks = attach::processStartTicks(pid);

    struct sigaction stop {};
    stop.sa_handler = requestStop;
    sigaction(SIGINT, &stop, nullptr);
    sigaction(SIGTERM, &stop, nullptr);

    attach::InjectionResult injected =
        attach::injectAndCall({pid, library, "leakscope_attach_start", settingsFor(options, out_dir)});
    if (!injected.ok) return fail(injected.error);
    if (injected.status != 0) return fail("process " + id + " " + startRefusal(injected.status));
    made.keep();  // the process writes into it from now on
    registerAttach(id, start_ticks, out_dir);
    char stopped[32];
    std::snprintf(stopped, sizeof(stopped), "%.1f ms", static_cast<double>(injected.stopped_us) / 1000.0);
    std::cerr << "leakscope: attach: attached to " << id << " (" << name << "): thread " << injected.thread
              << " stopped for " << stopped << "; snapshots every " << options.interval_ms << " ms in " << out_dir
              << (options.duration_s > 0 ? "" : "; Ctrl-C ends the attach") << "\n";

    const auto started = std::chrono::steady_clock::now();
    const auto duration = std::chrono::duration<double>(options.duration_s);
    bool exited = false;
    while (!g_stop_requested) {
        if (!stillRunning(pid, start_ticks)) {
            exited = true;
            break;
        }
        if (options.duration_s > 0 && std::chrono::steady_clock::now() - started >= duration) break;
        std::this_thread::sleep_for(kPollPeriod);
    }
    if (!exited && !endSession(pid, start_ticks, out_dir))
        std::cerr << "leakscope: attach: process " << id << " did not confirm the detach within 10 s; it ends the "
                  << "session by itself at its next snapshot\n";
    if (!exited && !stillRunning(pid, start_ticks)) exited = true;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    fs::remove(attachRegistryPath(id), ec);
    fs::remove(fs::path(out_dir) / (".request-" + id), ec);
    if (exited)
        std::cerr << "leakscope: attach: process " << id << " exited while attached; the report covers what was "
                  << "captured until then\n";

    options.report.inputs = {out_dir};
    if (!listSnapshotFiles(options.report.inputs).ok())
        return fail("process " + id + " wrote no snapshots to " + out_dir);
    return analyzeAndReport(options.report, options.check ? &options.gate : nullptr);
}

}  // namespace leakscope::analyzer
