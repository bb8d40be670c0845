// Whether a report reached its destination. A file-size limit (ulimit -f), a full disk or quota cuts a
// write short; without this the tool died of SIGXFSZ (exit 153, no message, the report cut at the limit)
// or exited with its verdict's code over a truncated report. Now the write fails with EFBIG/ENOSPC and
// the command says so in one line and exits 2 (docs/cli.md, exit codes).
#pragma once

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

namespace leakscope::analyzer {

// Call before writing output: a write past RLIMIT_FSIZE then fails with EFBIG instead of raising
// SIGXFSZ, whose default action kills the process. Only where output is written, never before `run`
// starts the program (an ignored signal is inherited through exec: the program must keep its default).
inline void failWritesPastFileSizeLimit() { std::signal(SIGXFSZ, SIG_IGN); }

// Flushes `out`. False, after one line on stderr naming `where` ("stdout", "--output FILE") and the
// system's reason, when a write to it failed.
inline bool outputWritten(std::ostream& out, const std::string& where) {
    if (out.flush()) return true;
    const int error = errno;
    std::cerr << "leakscope: " << where << ": the output could not be written"
              << (error ? std::string(" (") + std::strerror(error) + ")" : std::string()) << "\n";
    return false;
}

}  // namespace leakscope::analyzer
