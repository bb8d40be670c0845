// Where `run` and `attach` find their library, and the snapshot directory they prepare (OutputDirectory.h).
#include "commands/OutputDirectory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "core/ProcessRecords.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

// Every file of an earlier run in `dir` that a report over `dir` would read (listSnapshotFiles walks
// the tree), plus the preload's leftovers (.tmp- partial files, .request- files).
std::vector<fs::path> earlierRunFiles(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (it->is_regular_file(ec) &&
            (it->path().extension() == ".lksnap" || name.rfind(".request-", 0) == 0 || isProcessRecordName(name)))
            files.push_back(it->path());
    }
    return files;
}

}  // namespace

DirectoriesMadeHere::DirectoriesMadeHere(const fs::path& path) {
    std::error_code ec;
    fs::path dir = fs::absolute(path, ec).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();
    if (ec) return;
    // not_found only: a path that cannot be examined (EACCES) is not ours to remove.
    for (; dir != dir.root_path() && fs::symlink_status(dir, ec).type() == fs::file_type::not_found; dir = dir.parent_path())
        made_.push_back(dir);
}

DirectoriesMadeHere::~DirectoriesMadeHere() {
    std::error_code ec;
    for (const fs::path& dir : made_) fs::remove(dir, ec);  // refuses a directory that is not empty
}

void DirectoriesMadeHere::add(const fs::path& dir) {
    std::error_code ec;
    made_.insert(made_.begin(), fs::absolute(dir, ec).lexically_normal());
}

std::string findToolLibrary(const char* variable, const std::string& file) {
    if (const char* configured = std::getenv(variable); configured && *configured) return configured;
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
    for (const char* directory : {".", "../preload", "../lib/leakscope", "../lib", "../lib/x86_64-linux-gnu/leakscope"}) {
        fs::path path = self / directory / file;
        if (fs::is_regular_file(path, ec)) return fs::weakly_canonical(path, ec).string();
    }
    return "";
}

std::string prepareOutputDirectory(const std::string& command, const std::string& out_dir, bool force,
                                   const std::string& program_name) {
    std::error_code ec;
    if (out_dir.empty()) {
        std::string base = "leakscope-out/" + program_name + "-" + std::to_string(getpid());
        fs::create_directories("leakscope-out", ec);
        for (int attempt = 1; attempt < 1000; ++attempt) {
            std::string candidate = attempt == 1 ? base : base + "-" + std::to_string(attempt);
            if (mkdir(candidate.c_str(), 0700) == 0) return candidate;
            if (errno != EEXIST) {
                std::cerr << "leakscope: " << command << ": cannot create " << candidate << ": " << std::strerror(errno) << "\n";
                return "";
            }
        }
        std::cerr << "leakscope: " << command << ": no free directory name " << base << "-N in leakscope-out; use --out\n";
        return "";
    }
    const std::string& dir = out_dir;
    struct stat status {};
    if (lstat(dir.c_str(), &status) != 0) {
        // New: created (parents too), the directory itself 0700 like the preload would make it.
        fs::create_directories(dir, ec);
        if (ec || chmod(dir.c_str(), 0700) != 0) {
            std::cerr << "leakscope: " << command << ": --out " << dir << ": cannot create the directory: "
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
        std::cerr << "leakscope: " << command << ": --out " << dir << " " << refusal << "\n";
        return "";
    }
    std::vector<fs::path> earlier = earlierRunFiles(dir);
    if (earlier.empty()) return dir;
    if (!force) {
        std::cerr << "leakscope: " << command << ": --out " << dir << " already holds " << earlier.size()
                  << " snapshot file(s) of an earlier run, which the report would mix with this one; "
                     "use a new directory, or --force to delete them first\n";
        return "";
    }
    for (const fs::path& file : earlier) {
        if (!fs::remove(file, ec) && ec) {
            std::cerr << "leakscope: " << command << ": --force: cannot delete " << file.string() << ": " << ec.message() << "\n";
            return "";
        }
    }
    return dir;
}

}  // namespace leakscope::analyzer
