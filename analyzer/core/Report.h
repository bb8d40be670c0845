// The analysis result every output format renders (docs/report-schema.md describes its JSON form).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/SymbolizedFrame.h"
#include "leakscope/version.h"

namespace leakscope::analyzer {

inline constexpr int kReportSchemaVersion = 1;
inline constexpr const char* kToolVersion = leakscope::kVersion;  // leakscope/version.h, from CMake

// Finding types, as they appear in JSON and in --fail-on / suppressions.
inline constexpr const char* kGrowth = "growth";
inline constexpr const char* kLeakedHandle = "leaked_handle";
inline constexpr const char* kExitLeak = "exit_leak";
// Not a finding type: the --fail-on category of memory growth that is mostly lost (core/Gate.h).
inline constexpr const char* kLost = "lost";

// Classes of valgrind memcheck (snapshot_format.h, snapshot::Reachability), indexed by their byte value:
// 0 not classified, 1 definitely lost, 2 indirectly lost, 3 possibly lost, 4 still reachable.
inline constexpr size_t kReachabilityClasses = 5;

// How a memory finding's blocks were classified (docs/analysis.md, "Reachability in findings").
struct FindingReachability {
    enum class Status {
        None,           // not memory (handles, events): no reachability to speak of
        NotClassified,  // no usable classified snapshot: `reason` says why; never read as lost or reachable
        Classified,     // `bytes`/`blocks` hold the classes of the blocks it is about
        Freed,          // a classified snapshot exists, but none of the blocks it is about is live in it
    };
    Status status = Status::None;
    std::string reason;              // NotClassified / Freed: one line for people
    std::string snapshot_label;      // the classified snapshot the classes come from (Classified, Freed)
    uint32_t snapshot_index = 0;
    // Per class (index = class byte): exit leaks: the stack's blocks live at exit; growth: the blocks of
    // its stacks allocated since the onset and live in the classified snapshot.
    std::array<uint64_t, kReachabilityClasses> bytes{};
    std::array<uint64_t, kReachabilityClasses> blocks{};
    // Growth: bytes_per_cycle split by the classes' shares of `bytes` (sums to bytes_per_cycle when
    // Classified; in a group, parts without classes add their rate to [0], not classified).
    std::array<double, kReachabilityClasses> bytes_per_cycle{};
};

struct Finding {
    std::string type;       // growth, leaked_handle, exit_leak, or an event kind (bad_close, ...)
    std::string resource;   // "memory" or "handle"
    uint64_t pid = 0;
    uint64_t start_ns = 0;  // with pid, the process (ProcessInfo::start_ns)
    std::string label;      // growth: the series' label
    SymbolizedStack stack;  // trimmed: stack[0] is the caller of malloc/socket/open
    std::string stack_key;
    int sites = 1;          // allocation/open sites merged into this finding (same stack key)
    // Events merged across processes (FindingMerge.h): the other processes' (pid, start_ns), in report order.
    std::vector<std::pair<uint64_t, uint64_t>> also_in;
    // growth
    double bytes_per_cycle = 0;
    double count_per_cycle = 0;
    int cycles_grown = 0;
    int cycles_observed = 0;
    int warmup = 0;
    int onset_cycle = 0;
    bool capacity_doubling = false;  // one block reallocated ~2x at doubling spacings (docs/analysis.md)
    double p_value = 1;              // of the trend test that decided the growth
    int new_highs = 0;               // new highs of the series from the onset on
    std::vector<uint64_t> series_count;
    std::vector<uint64_t> series_bytes;
    // handles
    std::string handle_kind;
    std::string handle_details;
    int fd = -1;
    bool untracked = false;
    uint64_t sequence = 0;
    // events and exit leaks
    int64_t value = 0;
    uint64_t size = 0;
    uint64_t count = 0;
    uint64_t bytes = 0;
    FindingReachability reachability;  // memory growth and exit leaks
    // set by the gate (check): fails the gate / matched a suppression / accepted by the baseline
    bool gating = false;
    std::string gate_rule;  // why it gates, for people: "--fail-on growth", "--max-exit-bytes 4096"
    bool suppressed = false;
    bool baselined = false;
    // presentation (FindingGroups.h): the program's own call and the parts of a grouped finding
    size_t headline_frame = 0;        // index in `stack` of the program's call (wrappers skipped)
    std::string headline;             // "service_start → lws_create_context"; "" = stack[0]'s function
    std::vector<Finding> components;  // a finding grouped by cause: its parts, largest first
};

// How many processes a finding stands for: its own and, for merged events, the others.
inline size_t processCount(const Finding& finding) { return 1 + finding.also_in.size(); }

// True when the finding is about the process `pid` (its own, or one its events were merged from).
inline bool concernsPid(const Finding& finding, uint64_t pid) {
    if (finding.pid == pid) return true;
    for (const auto& [other, start] : finding.also_in)
        if (other == pid) return true;
    return false;
}

struct ProcessInfo {
    uint64_t pid = 0;
    // A process is (pid, start): an exec keeps the pid and a container's PID 1 is pid 1 in every run,
    // so the preload's initialisation time (snapshot header process_start_ns) tells images apart.
    uint64_t start_ns = 0;
    std::string executable;
    int snapshots = 0;
    std::map<std::string, int> labels;
};

// Something the report could not judge, said instead of a silent "clean" (BRIEF: never "clean" without
// evidence): a series too short, a label that matched nothing, a process whose hooks saw nothing.
// `what` says which: "growth" (a series or a process's growth could not be judged), "process" (a
// process followed by the preload left no final snapshot, so nothing of its end was judged: its
// process record, core/ProcessRecords.h) or "events" (events counted but not stored: the event lists
// of the process are incomplete, core/EventCompleteness.h).
struct NotJudged {
    uint64_t pid = 0;          // 0: not about one process
    uint64_t start_ns = 0;
    std::string label;         // the series' label, empty when not about a series
    std::string reason;        // one line, for people: "3 'cycle' snapshots; growth needs at least 4"
    std::string what = "growth";
    std::string command{};     // "process": the command name the preload saw at start
};

// "growth not judged" / "process not judged": how every format introduces an entry.
inline std::string notJudgedTitle(const NotJudged& item) { return item.what + " not judged"; }
// "pid 4242 (nginx)", "pid 9", or "" when not about one process.
inline std::string notJudgedSubject(const NotJudged& item) {
    if (!item.pid) return "";
    return "pid " + std::to_string(item.pid) + (item.command.empty() ? "" : " (" + item.command + ")");
}

struct Report {
    std::vector<ProcessInfo> processes;
    std::vector<Finding> findings;  // active findings (not suppressed, not baselined)
    int suppressed = 0;
    int baselined = 0;
    bool leak = false;              // verdict: a gating finding remains
    std::vector<NotJudged> not_judged;  // what was not judged, and why (empty: everything was judged)
    std::vector<std::string> notes; // e.g. modules whose build-id did not match
    uint64_t events_not_stored = 0; // events counted but not stored, all processes (EventCompleteness.h)
    // Set by buildReport: growth was judged in at least one series and every process's hooks saw
    // allocations. Without that evidence the verdict is "leak" or "not judged", never "clean".
    bool evidence = false;
};

// The verdict, decided here once for every format (BRIEF: never "clean" without evidence).
enum class Verdict {
    Leak,              // a finding fails the gate
    NotJudged,         // no evidence for clean (Report::evidence)
    CleanWhereJudged,  // clean, but something was not judged (Report::not_judged)
    Clean,
};

inline Verdict verdictOf(const Report& report) {
    if (report.leak) return Verdict::Leak;
    if (!report.evidence) return Verdict::NotJudged;
    return report.not_judged.empty() ? Verdict::Clean : Verdict::CleanWhereJudged;
}

// The verdict for people: "leak", "not judged", "clean where judged", "clean" (text, markdown, HTML).
inline const char* verdictWord(Verdict verdict) {
    switch (verdict) {
        case Verdict::Leak: return "leak";
        case Verdict::NotJudged: return "not judged";
        case Verdict::CleanWhereJudged: return "clean where judged";
        case Verdict::Clean: return "clean";
    }
    return "not judged";
}

// The verdict for machines (JSON `verdict`, docs/report-schema.md): "leak", "not judged" or "clean"; a
// partly judged clean report is "clean" with a non-empty `not_judged` array.
inline const char* verdictName(const Report& report) {
    Verdict verdict = verdictOf(report);
    return verdictWord(verdict == Verdict::CleanWhereJudged ? Verdict::Clean : verdict);
}

}  // namespace leakscope::analyzer
