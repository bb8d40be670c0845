#include "core/FindingTypes.h"

#include <iterator>

#include "core/Report.h"

namespace leakscope::analyzer {
namespace {

// leaked_handle and exit_leak are informational by default: a log file or an eventfd held for the whole
// life of a process is open at exit and is not a leak (valgrind's --track-fds lists them without
// failing); handle *growth* gates. `--fail-on leaked_handle` is the strict mode.
constexpr FindingType kTable[] = {
    {kGrowth, "growth", true, true, "", "leaks", "Leaks",
     "Live memory or handles of one stack that grow on (nearly) every cycle after warm-up.",
     "LifecycleGrowth", "Memory or handles grow with every lifecycle cycle",
     "The live memory or handles created at this call path grow from cycle to cycle of a repeated "
     "lifecycle event (a request, a session, a reload) after the warm-up: each cycle leaves something "
     "behind that the next cycles never free, so a long-running process runs out of memory or descriptors. "
     "Memory growth says how much of it per cycle is lost and how much still reachable (valgrind's classes) "
     "when a snapshot was classified: lost memory needs a free, reachable growth a bound or an eviction.",
     "analysis.md#the-growth-rule"},
    {kLeakedHandle, "leaked_handles", false, false, "handle", "leaked-handles", "Leaked handles",
     "Descriptors still open at exit that the program opened.",
     "HandleOpenAtExit", "A file descriptor is still open when the process exits",
     "A descriptor the program opened (not one it inherited, not 0-2) is still open in the process's exit "
     "snapshot: nothing closed it. Harmless in a one-shot tool, a leak in a server or library.",
     "analysis.md#other-findings"},
    {"double_close", "double_closes", true, false, "handle", "double-closes", "Double closes",
     "close() of a descriptor that this program had already closed.",
     "DoubleClose", "A descriptor is closed twice",
     "The same descriptor was closed twice without being opened in between; if another thread reused the "
     "number meanwhile, the second close closes someone else's file.",
     "handles.md"},
    {"bad_close", "bad_closes", true, false, "handle", "bad-closes", "Bad closes",
     "close() of a descriptor (0 or more) that was not open.",
     "BadClose", "close() of a descriptor that is not open",
     "The program closed a descriptor that was not open (EBADF): usually a stale copy of an fd that was "
     "closed before and may since have been reused for another file, which then gets closed by mistake.",
     "handles.md"},
    // close(-1) closes nothing and changes nothing (dash does it in every `system()`; valgrind warns,
    // "invalid file descriptor -1 in syscall close()"): informational. When an fd variable was
    // overwritten with -1 before its close, the fd that was lost is what leaks, and the handle rules
    // judge that (growth gates, open at exit informs).
    {"invalid_fd_close", "invalid_fd_closes", false, false, "handle", "invalid-fd-closes", "Invalid fd closes",
     "close() of a negative descriptor (-1): it closes nothing.",
     "InvalidFdClose", "close() of a negative descriptor",
     "The program called close() with a negative number (usually -1, an fd variable that was never set or "
     "was reset). It closes nothing, so on its own it is harmless (a shell's system() does it); if the "
     "variable held an open fd before it was overwritten, that fd is lost and shows as a leaked handle or "
     "handle growth of the same process.",
     "handles.md"},
    // A close that failed with EBADF on an fd the process was never seen to hold (not inherited, never
    // opened, not closed before): the daemon idiom "close every fd from 3 to OPEN_MAX". It closes nothing
    // and cannot hit anyone's file, so it informs; valgrind says nothing about it. A close of an fd that
    // was held stays a bad_close or a double_close and gates (docs/analysis.md, "Other findings").
    {"unopened_fd_close", "unopened_fd_closes", false, false, "handle", "unopened-fd-closes", "Closes of fds never opened",
     "close() that failed with EBADF on fds this process never held (a \"close every fd\" sweep): it closes nothing.",
     "UnopenedFdClose", "close() of a descriptor the process never had open",
     "The program closed descriptor numbers it was never seen to hold: not open at start, never opened, "
     "duplicated or received, and not closed before. That is what a daemon does when it closes every fd from 3 "
     "to OPEN_MAX; the kernel answers EBADF and nothing is closed, so it is harmless. A close of an fd the "
     "program did hold, after it was closed, is reported as a bad or double close instead.",
     "analysis.md#other-findings"},
    {"bad_free", "bad_frees", false, false, "memory", "bad-frees", "Bad frees",
     "free() of a pointer that malloc did not return or that was already freed.",
     "BadFree", "free() of a pointer the allocator did not hand out",
     "The program freed a pointer that is not a live allocation (already freed, or never allocated): "
     "heap corruption waiting to happen.",
     "analysis.md#other-findings"},
    {"failed_allocation", "failed_allocations", false, false, "memory", "failed-allocations", "Failed allocations",
     "Allocations that returned NULL.",
     "FailedAllocation", "An allocation failed",
     "An allocation returned NULL (out of memory or an impossible size); check that the program handles it.",
     "analysis.md#other-findings"},
    {"injected_failure", "injected_failures", false, false, "memory", "injected-failures", "Injected failures",
     "Calls made to fail on purpose (--fail-alloc).",
     "InjectedFailure", "An allocation failed by fault injection",
     "leakscope made this allocation fail on purpose (--fail-alloc); the report shows how the program's "
     "error path behaved.",
     "configuration.md"},
    {kExitLeak, "exit_leaks", false, true, "memory", "exit-leaks", "Exit leaks",
     "Memory still live when the process exited, by allocating stack.",
     "MemoryLiveAtExit", "Memory is still allocated when the process exits",
     "Memory allocated at this call path is still live in the exit snapshot; when it was classified, the "
     "message gives valgrind's classes (\"definitely lost\", \"indirectly lost\", \"possibly lost\", \"still "
     "reachable\"). Informational by default: it gates with --fail-on exit_leak or --max-exit-bytes.",
     "analysis.md#other-findings"},
};

std::string joined(const char* separator, bool only_default) {
    std::string out;
    for (const auto& type : kTable) {
        if (only_default && !type.fails_by_default) continue;
        out += (out.empty() ? "" : separator) + std::string(type.name);
    }
    return out;
}

}  // namespace

std::span<const FindingType> findingTypeTable() { return kTable; }

const FindingType* findFindingType(std::string_view name) {
    for (const auto& type : kTable)
        if (name == type.name) return &type;
    return nullptr;
}

int findingTypeRank(std::string_view name) {
    const FindingType* type = findFindingType(name);
    return type ? int(type - kTable) : int(std::size(kTable));
}

const std::vector<std::string>& findingTypes() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> names;
        for (const auto& type : kTable) names.emplace_back(type.name);
        return names;
    }();
    return kNames;
}

std::string findingTypeList() { return joined(", ", false); }

std::string defaultFailOn() { return joined(",", true); }

}  // namespace leakscope::analyzer
