// Runs a program to completion with a time limit and captures its output: the one way tests start
// child processes, so that every test gets the same timeout and error reporting.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace leakscope::testing {

struct ProcessResult {
    int exit_code = -1;      // exit status, or 128 + signal number when killed by a signal
    bool timed_out = false;
    std::string out;         // everything written to stdout
    std::string err;         // everything written to stderr
};

struct ProcessOptions {
    std::map<std::string, std::string> set_env;  // added to (or replacing in) the test's environment
    std::vector<std::string> unset_env;
    std::string working_directory;               // empty: the test's own
    std::chrono::seconds timeout{300};
    std::optional<std::string> stdin_data;       // nullopt: stdin is /dev/null
};

// Runs argv[0] (searched in PATH when it has no '/') with argv. Never throws for the child's failure;
// throws std::runtime_error only when the process cannot be started at all.
ProcessResult runProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A fresh private directory under $TMPDIR (or /tmp), removed by the destructor unless the
// environment variable LEAKSCOPE_KEEP_TEST_DIRS is set.
class TemporaryDirectory {
public:
    TemporaryDirectory();
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);

}  // namespace leakscope::testing
