// The preload's configuration, read from the environment in one place (docs/configuration.md is the
// table). A bad value prints one warning line and the default is used; nothing here can fail.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lifecycle/Log.h"

namespace leakscope::preload {

// Which snapshots the reachability scan classifies (LEAKSCOPE_REACHABILITY).
enum class ReachabilityMode {
    Off,   // none
    Exit,  // the last snapshot of a process: exit, and sandbox (no exit snapshot follows it)
    All,   // every snapshot except crash (docs/configuration.md says why not crash)
};

struct Config {
    char output_dir[4096] = "./leakscope-out";  // LEAKSCOPE_OUTPUT_DIR
    uint32_t depth = 32;                        // LEAKSCOPE_DEPTH, 1..256
    bool track_memory = true;                   // LEAKSCOPE_TRACK contains "memory"
    bool track_handles = true;                  // LEAKSCOPE_TRACK contains "handles"
    uint64_t interval_ms = 0;                   // LEAKSCOPE_INTERVAL_MS, 0 = off
    bool follow_exec = true;                    // LEAKSCOPE_FOLLOW_EXEC
    LogLevel log_level = LogLevel::Warn;        // LEAKSCOPE_LOG
    int snap_signal = 0;                        // LEAKSCOPE_SNAP_SIGNAL, 0 = SIGRTMIN+7
    char fail_alloc[1024] = "";                 // LEAKSCOPE_FAIL_ALLOC, parsed by FaultInjection
    bool verify_unwind = false;                 // LEAKSCOPE_VERIFY_UNWIND: check each CFI walk against libgcc
    unsigned starting_euid = 0;                 // geteuid() at start: a later change is a user switch
    ReachabilityMode reachability = ReachabilityMode::Exit;  // LEAKSCOPE_REACHABILITY: off, exit, all
    uint64_t reachability_budget_ms = 5000;     // LEAKSCOPE_REACHABILITY_BUDGET_MS, 1..600000
    // LEAKSCOPE_SECCOMP: `skip` (default) leaves a process that inherited a seccomp filter untracked;
    // `track` tracks it as any other (for a filter that allows the calls docs/RELIABILITY.md lists).
    bool track_sandboxed = false;
};

// Reads the environment (getenv only: safe before main). Called once by the core's initialisation.
void loadConfig() noexcept;
// `leakscope attach`: the same settings from "NAME=value" lines (the injector's text, not the
// target's environment); returns false when the text is too long (8 KiB).
bool loadConfigFromText(const char* text) noexcept;
const Config& config() noexcept;

}  // namespace leakscope::preload
