// What `run` and `attach` share before the tool meets the program: the tool's library to load, and
// the snapshot directory, made ready so that a report never mixes runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace leakscope::analyzer {

// `file` ("libleakscope.so", "libleakscope-attach.so"): $variable when set, else next to this binary,
// in the build tree (../preload/), or in an install tree (../lib/leakscope/, ../lib/...). "" when absent.
std::string findToolLibrary(const char* variable, const std::string& file);

// `out_dir` ("" for the default): a symlink, a non-directory, a directory of another user or one
// holding an earlier run's snapshots is refused (the last one is emptied of snapshot files instead
// with `force`); a new one is created 0700. No --out: ./leakscope-out/<program_name>-<pid of
// leakscope>, with a -2, -3... suffix should that name already exist. Returns the directory, or ""
// after printing one line that starts "leakscope: <command>: ".
std::string prepareOutputDirectory(const std::string& command, const std::string& out_dir, bool force,
                                   const std::string& program_name);

// The directories a `run` or `attach` creates for its snapshots, removed again (each only while still
// empty) unless keep() is called: a program that cannot be started or an injection that fails leaves
// nothing behind. Made before prepareOutputDirectory(), with its `out_dir` ("leakscope-out" for the
// default), then told of the default's own leakscope-out/NAME-PID with add().
class DirectoriesMadeHere {
public:
    // `path` and those of its parents that do not exist yet.
    explicit DirectoriesMadeHere(const std::filesystem::path& path);
    DirectoriesMadeHere(const DirectoriesMadeHere&) = delete;
    DirectoriesMadeHere& operator=(const DirectoriesMadeHere&) = delete;
    ~DirectoriesMadeHere();
    // A directory made below the ones listed.
    void add(const std::filesystem::path& dir);
    // The program or the process writes into them from now on.
    void keep() { made_.clear(); }

private:
    std::vector<std::filesystem::path> made_;  // innermost first
};

}  // namespace leakscope::analyzer
