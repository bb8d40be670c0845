#include "commands/Diagnostics.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace leakscope::analyzer {

void setupDiagnostics(const std::string& level, int verbose) {
    auto logger = std::make_shared<spdlog::logger>("leakscope", std::make_shared<spdlog::sinks::stderr_sink_st>());
    logger->set_pattern("leakscope: %l: %v");
    auto chosen = spdlog::level::from_str(level);
    if (verbose >= 2) chosen = std::min(chosen, spdlog::level::debug);
    else if (verbose == 1) chosen = std::min(chosen, spdlog::level::info);
    logger->set_level(chosen);
    spdlog::set_default_logger(logger);
}

PhaseTimer::~PhaseTimer() {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_).count();
    spdlog::info("{}: {} ms{}{}", phase_, ms, detail.empty() ? "" : ", ", detail);
}

}  // namespace leakscope::analyzer
