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
    bool timed_out = false;  // the deadline passed: the process and its descendants were killed
    std::string out;         // everything written to stdout
    std::string err;         // everything written to stderr; after a timeout, followed by hang_report
    // Set when timed_out (and ProcessOptions::describe_hang): what every thread of the process and of
    // its descendants was doing at the deadline (HangReport.h). Also appended to `err`, so that every
    // test that shows a failed run's stderr shows why it hung.
    std::string hang_report;
};

struct ProcessOptions {
    std::map<std::string, std::string> set_env;  // added to (or replacing in) the test's environment
    std::vector<std::string> unset_env;
    std::string working_directory;               // empty: the test's own
    std::chrono::seconds timeout{300};
    std::optional<std::string> stdin_data;       // nullopt: stdin is /dev/null
    bool describe_hang = true;                   // collect hang_report at the deadline (gdb's own run: no)
};

// Runs argv[0] (searched in PATH when it has no '/') with argv. Never throws for the child's failure;
// throws std::runtime_error only when the process cannot be started at all. At the deadline (whether
// the process still writes or has closed its output and only not exited) the hang is described, then
// the process and its descendants are killed with SIGKILL and reaped.
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
