// The process records a run leaves (lifecycle/ProcessRecord.h in the preload; docs/architecture.md,
// "Process records"): an empty file per followed process whose name says who it is, removed when the
// process wrote its final snapshot. A record still there whose process has no final snapshot in the set
// is a process that was followed but not judged; the report says so, with the reason in words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leakscope::analyzer {

struct SnapshotSet;
struct NotJudged;

// `.proc-<pid>-<start_ns>-<euid>-<state>-<comm>` (an image) or `.exec-…` (the same after it exec'd).
struct ProcessRecord {
    std::string file;
    bool executed = false;     // `.exec-`: settled by a later image of the same pid
    uint64_t pid = 0;
    uint64_t start_ns = 0;     // the snapshots' process_start_ns
    uint64_t start_euid = 0;
    std::string state;         // tracked, sandboxed, sandboxtracked, uid<N>, nowrite<errno>
    std::string command;       // the command name as the preload saw it at start (sanitised)
};

// True for a file name the preload uses for records (whether or not it parses).
bool isProcessRecordName(const std::string& name);
// The fields of a record's file name; nullopt when it is not a well-formed record name.
std::optional<ProcessRecord> parseProcessRecordName(const std::string& name);

// The records in the directories among `inputs` (recursively, as snapshots are found); a malformed
// record name is added to `unreadable` ("<path>: <problem>") and skipped.
std::vector<ProcessRecord> listProcessRecords(const std::vector<std::string>& inputs, std::vector<std::string>& unreadable);

// One `not_judged` entry per record whose process left no final snapshot (exit, crash, sandbox) in
// `set`, with the reason in words; an `.exec-` record only when no later image of its pid is known.
std::vector<NotJudged> unjudgedProcesses(const SnapshotSet& set);

}  // namespace leakscope::analyzer
