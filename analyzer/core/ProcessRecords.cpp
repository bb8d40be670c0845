#include "core/ProcessRecords.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/Plural.h"
#include "core/Report.h"
#include "core/SnapshotSet.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

bool parseNumber(std::string_view text, uint64_t& value) {
    if (text.empty()) return false;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

// The number after `prefix` in `state` ("uid33" -> 33), or nullopt.
std::optional<uint64_t> stateNumber(const std::string& state, std::string_view prefix) {
    uint64_t number = 0;
    if (!state.starts_with(prefix) || !parseNumber(std::string_view(state).substr(prefix.size()), number)) return std::nullopt;
    return number;
}

bool knownState(const std::string& state) {
    return state == "tracked" || state == "sandboxed" || state == "sandboxtracked" || stateNumber(state, "uid") ||
           stateNumber(state, "nowrite");
}

// "EFBIG (File too large: ...)": the errno the preload's snapshot write failed with, and what it means
// for a snapshot where the cause is a usual one.
std::string writeErrorText(uint64_t error) {
    const int number = error <= 4095 ? int(error) : 0;
    const char* name = number ? strerrorname_np(number) : nullptr;
    std::string text = name ? name : "errno " + std::to_string(error);
    text += std::string(" (") + (number ? std::strerror(number) : "unknown error");
    if (number == EFBIG) text += ": a file size limit, RLIMIT_FSIZE or `ulimit -f`, is below a snapshot's size";
    if (number == ENOSPC) text += ": the file system of the snapshot directory is full";
    if (number == EDQUOT) text += ": the user's disk quota is used up";
    return text + ")";
}

bool isFinal(const SnapshotSummary& snapshot) {
    return snapshot.isExit() || snapshot.trigger == snapshot::Trigger::Crash ||
           snapshot.trigger == snapshot::Trigger::Sandbox;
}

// Why the process of `record` (with `written` snapshots, none final) was not judged, for people.
std::string reasonFor(const ProcessRecord& record, size_t written) {
    const std::string earlier =
        written ? "; its " + counted(written, "earlier snapshot") + " are judged, its state at exit is not" : "";
    if (record.executed)
        return "exec'd a program that did not load the preload: not tracked (a setuid or setgid program, whose "
               "loader drops LD_PRELOAD, or a static executable)";
    if (record.state == "sandboxed")
        return "inherited a seccomp filter: not tracked (LEAKSCOPE_SECCOMP=track or `run --track-sandboxed` tracks it "
               "when the filter allows the system calls listed in docs/RELIABILITY.md)";
    if (record.state == "sandboxtracked")
        return "was tracked under an inherited seccomp filter (LEAKSCOPE_SECCOMP=track) and ended without a final "
               "snapshot: the filter may forbid a call the snapshot needs (docs/RELIABILITY.md), or it was killed" +
               earlier;
    if (record.state.starts_with("uid"))
        return "switched to uid " + record.state.substr(3) + " after start and could not write its " +
               (written ? "final snapshot" : "snapshots") + earlier;
    // What the preload saw, not a guess: its last snapshot write failed, and no final snapshot came.
    if (auto error = stateNumber(record.state, "nowrite"))
        return "ended without a final snapshot: writing " + std::string(written ? "a snapshot" : "its snapshots") +
               " failed with " + writeErrorText(*error) + earlier;
    return "ended without a final snapshot (killed by SIGKILL or the OOM killer? a raw exit_group?" +
           std::string(record.start_euid == 0 ? " a switch of user the hooks did not see?" : "") + ")" + earlier;
}

}  // namespace

bool isProcessRecordName(const std::string& name) { return name.starts_with(".proc-") || name.starts_with(".exec-"); }

std::optional<ProcessRecord> parseProcessRecordName(const std::string& name) {
    if (!isProcessRecordName(name)) return std::nullopt;
    ProcessRecord record;
    record.executed = name.starts_with(".exec-");
    // pid, start_ns, euid, state, then the command, which is the rest (it never holds '-').
    std::string_view rest = std::string_view(name).substr(6);
    std::string_view fields[4];
    for (auto& field : fields) {
        size_t dash = rest.find('-');
        if (dash == std::string_view::npos) return std::nullopt;
        field = rest.substr(0, dash);
        rest.remove_prefix(dash + 1);
    }
    record.state = std::string(fields[3]);
    record.command = std::string(rest);
    if (!parseNumber(fields[0], record.pid) || record.pid == 0 || !parseNumber(fields[1], record.start_ns) ||
        !parseNumber(fields[2], record.start_euid) || !knownState(record.state) || record.command.empty())
        return std::nullopt;
    return record;
}

std::vector<ProcessRecord> listProcessRecords(const std::vector<std::string>& inputs, std::vector<std::string>& unreadable) {
    std::vector<ProcessRecord> records;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (!fs::is_directory(input, ec)) continue;
        for (fs::recursive_directory_iterator it(input, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!isProcessRecordName(name) || !it->is_regular_file(ec)) continue;
            auto record = parseProcessRecordName(name);
            if (!record) {
                unreadable.push_back(it->path().string() + ": not a well-formed process record name");
                continue;
            }
            record->file = it->path().string();
            records.push_back(std::move(*record));
        }
    }
    std::sort(records.begin(), records.end(), [](const ProcessRecord& a, const ProcessRecord& b) {
        return std::tie(a.pid, a.start_ns, a.executed) < std::tie(b.pid, b.start_ns, b.executed);
    });
    return records;
}

std::vector<NotJudged> unjudgedProcesses(const SnapshotSet& set) {
    // Per (pid, start): snapshots written and whether one was final. The images known per pid (from
    // snapshots and from records) settle an `.exec-` record when a later one exists.
    std::map<std::pair<uint64_t, uint64_t>, std::pair<size_t, bool>> written;
    std::map<uint64_t, uint64_t> latest_start;
    for (const auto& process : set.processes) {
        bool final = std::any_of(process.snapshots.begin(), process.snapshots.end(), isFinal);
        written[{process.pid, process.start_ns}] = {process.snapshots.size(), final};
        latest_start[process.pid] = std::max(latest_start[process.pid], process.start_ns);
    }
    for (const auto& record : set.records)
        if (!record.executed) latest_start[record.pid] = std::max(latest_start[record.pid], record.start_ns);
    std::vector<NotJudged> unjudged;
    for (const auto& record : set.records) {
        auto [count, final] = written[{record.pid, record.start_ns}];
        if (final) continue;  // judged; a record it could not remove (it had switched user) is stale
        if (record.executed && latest_start[record.pid] > record.start_ns) continue;
        NotJudged item;
        item.pid = record.pid;
        item.start_ns = record.start_ns;
        item.what = "process";
        item.command = record.command;
        item.reason = reasonFor(record, count);
        unjudged.push_back(std::move(item));
    }
    return unjudged;
}

}  // namespace leakscope::analyzer
