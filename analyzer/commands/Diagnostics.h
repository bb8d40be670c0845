// The analyzer's own diagnostics (not the report): spdlog to stderr, level from -v / --log-level
// (default warn, so a normal run prints only the report and one-line errors). Phase timings at info.
#pragma once

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

namespace leakscope::analyzer {

// Levels accepted by --log-level, most to least verbose.
inline const char* const kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

// Installs the stderr logger ("leakscope: info: ..."); `level` is one of kLogLevels, `verbose` the
// number of -v flags (1: info, 2+: debug), which wins over a quieter --log-level.
void setupDiagnostics(const std::string& level, int verbose);

// Logs "<phase>: N ms" at info when it goes out of scope (with what `detail` says by then).
class PhaseTimer {
public:
    explicit PhaseTimer(std::string phase) : phase_(std::move(phase)), start_(std::chrono::steady_clock::now()) {}
    ~PhaseTimer();
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;
    std::string detail;

private:
    std::string phase_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace leakscope::analyzer
