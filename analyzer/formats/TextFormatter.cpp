// Human-readable report for terminals: the verdict line and processes, then each finding that fails
// the gate (with the rule that made it fail) or that otherwise matters in full, the informational
// findings (exit leaks, fds open at exit) as counts and the five largest unless --all, and at the end a
// summary block — the verdict again, counts by type, growth per cycle, what was not judged, where the
// snapshots are and how to get the HTML report — so the last screen of a CI log says what to do.
#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/Plural.h"
#include "core/Reachability.h"
#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

constexpr size_t kFramesShown = 12;
constexpr size_t kLargestShown = 5;

// Findings a default gate does not fail and that come in numbers (valgrind's "still reachable",
// --track-fds): summarised unless they gate or --all asks for them.
bool summarised(const Finding& f, const FormatContext& context) {
    return !context.all && !f.gating && (f.type == kExitLeak || f.type == kLeakedHandle);
}

// An invalid close (close(-1)) in a process that also loses fds: the fingerprint of an fd variable
// overwritten with -1 before its close (the libwebsockets case). The lost fd is what the handle
// findings judge; the close itself closed nothing.
bool sameProcessLosesHandles(const Report& report, const Finding& invalid_close) {
    // Merged across processes (FindingMerge.h): any of them.
    auto sameProcess = [&](const Finding& f) {
        const std::pair<uint64_t, uint64_t> process{f.pid, f.start_ns};
        return process == std::make_pair(invalid_close.pid, invalid_close.start_ns) ||
               std::find(invalid_close.also_in.begin(), invalid_close.also_in.end(), process) != invalid_close.also_in.end();
    };
    return std::any_of(report.findings.begin(), report.findings.end(), [&](const Finding& f) {
        return sameProcess(f) && (f.type == kLeakedHandle || (f.type == kGrowth && f.resource == "handle"));
    });
}

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string shellQuoted(const std::string& word) {
    if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+:=,") ==
                             std::string::npos)
        return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class TextFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext& context) const override {
        auto paint = [&](const char* code, const std::string& text) {
            return context.color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
        };
        int snapshots = 0;
        for (const auto& p : report.processes) snapshots += p.snapshots;
        out << "leakscope: " << verdict(report, paint) << " — " << counted(report.findings.size(), "finding") << " in "
            << counted(report.processes.size(), "process", "processes") << ", " << counted(snapshots, "snapshot");
        if (report.suppressed) out << ", " << report.suppressed << " suppressed";
        if (report.baselined) out << ", " << report.baselined << " baselined";
        out << "\n";
        for (const auto& p : report.processes) {
            out << "  pid " << p.pid << "  " << p.executable << "  (";
            bool first = true;
            for (const auto& [label, count] : p.labels) out << (first ? "" : ", ") << label << " x" << count, first = false;
            out << ")\n";
        }
        for (const auto& n : report.not_judged)
            out << "  " << notJudgedTitle(n) << ": " << (n.pid ? notJudgedSubject(n) + ": " : "") << n.reason << "\n";
        for (const auto& note : report.notes) out << "  note: " << note << "\n";
        for (const auto& f : report.findings) {
            if (summarised(f, context)) continue;
            out << "\n" << paint(f.gating ? "1;31" : "1;33", "[" + f.type + "]") << " " << findingTitle(f);
            if (f.type == kGrowth) out << "  (grew on " << f.cycles_grown << " of " << f.cycles_observed << " cycles)";
            out << "  pid " << f.pid << "\n";
            out << "    " << (f.gating ? paint("1;31", "FAILS the gate: " + f.gate_rule) : paint("2", "informational: does not fail the gate"))
                << "\n";
            writeReachabilitySource(f, out);
            if (f.type == "invalid_fd_close" && sameProcessLosesHandles(report, f))
                out << "    this process also loses fds (leaked_handle/growth): an fd variable overwritten with -1 before "
                       "its close looks like this; the lost fd is judged there\n";
            for (const auto& part : f.components)  // a finding grouped by cause: one line per part
                out << "      - " << findingTitle(part) << "  " << frameLocation(part.stack.empty() ? SymbolizedFrame{} : part.stack[0]) << "\n";
            writeStack(f.stack, out, paint);
        }
        writeInformational(report, out, context);
        writeSummary(report, out, context, paint);
    }

private:
    // Where a memory finding's classes come from, or why it has none (the title says what they are).
    static void writeReachabilitySource(const Finding& f, std::ostream& out) {
        const auto& r = f.reachability;
        if (r.status == FindingReachability::Status::Classified)
            out << "    reachability: valgrind's classes in the '" << r.snapshot_label << "' snapshot #" << r.snapshot_index
                << (f.type == kGrowth ? " (its blocks allocated since the growth began)" : "") << "\n";
        else if (r.status != FindingReachability::Status::None)
            out << "    " << reachabilityPhrase(f) << ": " << r.reason << "\n";
    }

    // The reachability of several findings together (the exit leaks, all memory growth): "" when none has any.
    static std::string combinedReachability(const std::vector<const Finding*>& findings, const char* type) {
        Finding total;
        total.type = type;
        total.resource = "memory";
        for (const Finding* f : findings) addReachability(total.reachability, f->reachability);
        std::string phrase = reachabilityPhrase(total);
        return phrase.empty() ? "" : " — " + phrase;
    }

    template <typename Paint>
    static std::string verdict(const Report& report, Paint& paint) {
        Verdict v = verdictOf(report);
        if (v == Verdict::Leak) return paint("1;31", "LEAK");
        return paint(v == Verdict::Clean ? "1;32" : "1;33", verdictWord(v));
    }

    static void writeInformational(const Report& report, std::ostream& out, const FormatContext& context) {
        for (const char* type : {kExitLeak, kLeakedHandle}) {
            std::vector<const Finding*> group;
            uint64_t bytes = 0, blocks = 0, fds = 0, sites = 0;
            for (const auto& f : report.findings)
                if (f.type == type && summarised(f, context)) {
                    group.push_back(&f), bytes += f.bytes, blocks += f.count, sites += uint64_t(f.sites);
                    fds += f.components.empty() ? 1 : f.components.size();  // a grouped finding lists its fds
                }
            if (group.empty()) continue;
            // Sites are the allocation or open stacks (a finding's "(5 sites)"); the lines below are the
            // findings, one cause each, which may merge several sites: both counted, by their names.
            const std::string in_findings = sites == group.size() ? "" : " in " + counted(group.size(), "finding");
            if (type == std::string(kExitLeak)) {
                std::stable_sort(group.begin(), group.end(), [](const Finding* a, const Finding* b) { return a->bytes > b->bytes; });
                out << "\n[exit_leak] " << counted(sites, "allocation site") << in_findings
                    << (sites == 1 ? " still holds " : " still hold ") << bytes << " B in " << counted(blocks, "block")
                    << " at exit" << combinedReachability(group, kExitLeak)
                    << " (informational; --fail-on exit_leak or --max-exit-bytes N gate them)\n";
            } else {
                out << "\n[leaked_handle] " << counted(fds, "fd") << " open at exit from " << counted(sites, "site")
                    << in_findings << " (informational; --fail-on leaked_handle gates them)\n";
            }
            for (size_t i = 0; i < group.size() && i < kLargestShown; ++i) {
                const Finding& f = *group[i];
                const SymbolizedFrame* frame = f.stack.empty() ? nullptr : &f.stack[0];
                out << "    " << findingTitle(f);
                if (frame && !frame->file.empty()) out << "  " << frameLocation(*frame);
                out << "\n";
            }
            if (group.size() > kLargestShown)
                out << "    ... " << group.size() - kLargestShown << " more (--all lists every one with its stack)\n";
        }
    }

    template <typename Paint>
    static void writeSummary(const Report& report, std::ostream& out, const FormatContext& context, Paint& paint) {
        out << "\n" << paint("1", "── summary ──") << "\n";
        int failing = 0;
        std::map<std::string, std::pair<int, int>> by_type;  // type -> (findings, failing)
        double bytes_per_cycle = 0, handles_per_cycle = 0;
        std::vector<const Finding*> memory_growth;
        for (const auto& f : report.findings) {
            if (f.type == kGrowth && f.reachability.status != FindingReachability::Status::None) memory_growth.push_back(&f);
            auto& counts = by_type[f.type];
            ++counts.first;
            if (f.gating) ++counts.second, ++failing;
            if (f.type == kGrowth && f.resource == "memory") bytes_per_cycle += f.bytes_per_cycle;
            if (f.type == kGrowth && f.resource != "memory") handles_per_cycle += f.count_per_cycle;
        }
        out << "verdict:     " << verdict(report, paint);
        if (report.leak) out << " (" << counted(failing, "finding") << (failing == 1 ? " fails" : " fail") << " the gate)";
        out << "\n";
        out << "findings:    ";
        if (by_type.empty()) out << "none";
        bool first = true;
        for (const auto& [type, counts] : by_type) {
            out << (first ? "" : ", ") << type << " " << counts.first;
            if (counts.second) out << " (" << counts.second << " failing)";
            first = false;
        }
        if (report.suppressed) out << "; " << report.suppressed << " suppressed";
        if (report.baselined) out << "; " << report.baselined << " baselined";
        out << "\n";
        out << "growth:      " << number(bytes_per_cycle) << " B/cycle of memory" << combinedReachability(memory_growth, kGrowth) << ", "
            << number(handles_per_cycle) << (handles_per_cycle == 1 ? " handle" : " handles") << "/cycle\n";
        if (report.not_judged.empty()) {
            out << "not judged:  nothing (every series and process was judged)\n";
        } else {
            out << "not judged:  " << report.not_judged.size() << "\n";
            for (const auto& item : report.not_judged) {
                out << "  - ";
                if (item.pid) out << notJudgedSubject(item) << " ";
                if (!item.label.empty()) out << "'" << item.label << "' ";
                out << item.reason << "\n";
            }
        }
        if (!context.inputs.empty()) {
            std::string inputs;
            for (const auto& input : context.inputs) inputs += " " + shellQuoted(input);
            out << "snapshots:   " << inputs.substr(1) << "\n";
            out << "HTML report: leakscope report" << inputs << " --format html --output leakscope.html\n";
        }
    }

    template <typename Paint>
    static void writeStack(const SymbolizedStack& stack, std::ostream& out, Paint& paint) {
        size_t shown = std::min(stack.size(), kFramesShown);
        size_t function_width = 0, location_width = 0;
        for (size_t i = 0; i < shown; ++i) {
            function_width = std::max(function_width, std::min<size_t>(stack[i].function.size(), 60));
            location_width = std::max(location_width, frameLocation(stack[i]).size());
        }
        for (size_t i = 0; i < shown; ++i) {
            const auto& frame = stack[i];
            std::string function = frame.function.size() > 60 ? frame.function.substr(0, 57) + "..." : frame.function;
            out << "    #" << std::left << std::setw(2) << i << " " << std::setw(int(function_width)) << function << "  "
                << std::setw(int(location_width)) << frameLocation(frame) << "  " << paint("2", frame.module)
                << (frame.inlined ? paint("2", " (inlined)") : "") << "\n";
        }
        if (stack.size() > shown) out << "    ... " << (stack.size() - shown) << (stack.size() - shown == 1 ? " more frame\n" : " more frames\n");
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeTextFormatter() { return std::make_unique<TextFormatter>(); }

}  // namespace leakscope::analyzer
