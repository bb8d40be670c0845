// `leakscope snap PID [LABEL]`: asks a running, preloaded process for a snapshot (docs/architecture.md,
// "External request"): writes the label to <dir>/.request-<PID>, sends SIGRTMIN+7 to the preload's own
// thread (so that no thread of the program is interrupted: no EINTR), waits for the file.
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "attach/TargetProcess.h"
#include "commands/Commands.h"
#include "commands/SnapRequest.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

constexpr auto kSnapshotWait = std::chrono::seconds(5);

std::map<std::string, std::string> processEnvironment(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/environ", std::ios::binary);
    std::map<std::string, std::string> environment;
    std::string entry;
    while (std::getline(in, entry, '\0')) {
        auto equals = entry.find('=');
        if (equals != std::string::npos) environment[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    return environment;
}

bool mapsPreload(const std::string& pid) {
    std::ifstream maps("/proc/" + pid + "/maps");
    std::string line;
    while (std::getline(maps, line))
        if (line.find("libleakscope") != std::string::npos) return true;
    return false;
}

std::set<std::string> snapshotsOf(const fs::path& dir, const std::string& pid) {
    std::set<std::string> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        // Not the ".tmp-…" file of a snapshot still being written.
        if (name[0] != '.' && it->path().extension() == ".lksnap" && name.find("-" + pid + "-") != std::string::npos)
            files.insert(it->path().string());
    }
    return files;
}

int fail(const std::string& message) {
    std::cerr << "leakscope: snap: " << message << "\n";
    return kExitInputError;
}


}  // namespace

long toolThreadOf(const std::string& pid) {
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + pid + "/task", ec), end; !ec && it != end; it.increment(ec)) {
        std::ifstream comm(it->path() / "comm");
        std::string name;
        if (std::getline(comm, name) && name == "leakscope") return std::atol(it->path().filename().c_str());
    }
    return 0;
}


std::string attachRegistryPath(const std::string& pid) {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    std::string base = runtime && *runtime ? runtime : "/tmp";
    return base + "/leakscope-" + std::to_string(geteuid()) + "/attached-" + pid;
}

std::string attachedOutputDir(const std::string& pid) {
    std::ifstream in(attachRegistryPath(pid));
    std::string start, dir;
    if (!std::getline(in, start) || !std::getline(in, dir)) return "";
    // The pid may have been reused since: the start time names the process.
    return start == std::to_string(attach::processStartTicks(static_cast<pid_t>(std::stol(pid)))) ? dir : "";
}

std::string sendSnapshotRequest(const std::string& pid, const std::filesystem::path& dir, const std::string& label,
                                int signal_number, bool may_signal_process) {
    {
        std::ofstream request(dir / (".request-" + pid), std::ios::trunc);
        if (!(request << label)) return "cannot write the request file in " + dir.string();
    }
    long thread = toolThreadOf(pid);
    if (!thread && !may_signal_process) return "process " + pid + " has no leakscope thread (the attach has ended)";
    int sent = thread ? static_cast<int>(::syscall(SYS_tgkill, std::stol(pid), thread, signal_number))
                      : kill(pid_t(std::stol(pid)), signal_number);
    if (sent != 0) return "cannot signal process " + pid + ": " + std::strerror(errno);
    return "";
}

int runSnap(const std::string& pid, const std::string& label) {
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9)
        return fail("PID \"" + pid + "\" is not a process id");
    if (!fs::exists("/proc/" + pid)) return fail("no such process " + pid);
    if (!mapsPreload(pid)) return fail("process " + pid + " does not have libleakscope.so loaded (run it under `leakscope run` or LD_PRELOAD)");
    auto environment = processEnvironment(pid);
    // Attached (`leakscope attach`), the directory is not in the environment but in the registry.
    std::string attached_dir = attachedOutputDir(pid);
    bool preloaded = environment["LD_PRELOAD"].find("libleakscope") != std::string::npos;
    if (attached_dir.empty() && !preloaded && !toolThreadOf(pid))
        return fail("process " + pid + " is not attached now (an earlier `leakscope attach` ended)");
    fs::path dir = !attached_dir.empty()                          ? attached_dir
                   : environment.count("LEAKSCOPE_OUTPUT_DIR") ? environment["LEAKSCOPE_OUTPUT_DIR"]
                                                                 : std::string("./leakscope-out");
    if (dir.is_relative()) {
        std::error_code ec;
        fs::path cwd = fs::read_symlink("/proc/" + pid + "/cwd", ec);
        if (ec) return fail("cannot read the working directory of process " + pid + ": " + ec.message());
        dir = cwd / dir;
    }
    int signal_number = SIGRTMIN + 7;
    // The target's own LEAKSCOPE_SNAP_SIGNAL is what its handler listens on; ours is the fallback.
    const char* ours = std::getenv("LEAKSCOPE_SNAP_SIGNAL");
    if (ours && *ours) signal_number = std::atoi(ours);
    if (!environment["LEAKSCOPE_SNAP_SIGNAL"].empty()) signal_number = std::atoi(environment["LEAKSCOPE_SNAP_SIGNAL"].c_str());

    auto existing = snapshotsOf(dir, pid);
    // Before the program wrote its first snapshot the directory may not exist yet (0700, as the
    // preload makes it; it checks ownership and mode itself when it writes).
    ::mkdir(dir.c_str(), 0700);
    // Only a preloaded process has the process-wide handler; without the tool thread, the default
    // action of the signal in an attached one would end it.
    if (std::string error = sendSnapshotRequest(pid, dir, label, signal_number, attached_dir.empty()); !error.empty())
        return fail(error);
    // The file of this request: its name ends in the label as the preload writes it ([A-Za-z0-9._-],
    // others '_'), so an interval snapshot written meanwhile is not mistaken for it.
    std::string suffix = "-" + label + ".lksnap";
    for (char& c : suffix)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    auto deadline = std::chrono::steady_clock::now() + kSnapshotWait;
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& file : snapshotsOf(dir, pid))
            if (!existing.count(file) && file.size() > suffix.size() &&
                file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
                std::cout << file << "\n";
                return kExitClean;
            }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fail("process " + pid + " wrote no snapshot to " + dir.string() + " within 5 s");
}

}  // namespace leakscope::analyzer
