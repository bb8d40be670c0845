// Human-readable report for terminals: one block per finding, frames in aligned columns, colour only
// when the caller says stdout is a TTY.
#include <algorithm>
#include <iomanip>

#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

constexpr size_t kFramesShown = 12;

class TextFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext& context) const override {
        auto paint = [&](const char* code, const std::string& text) {
            return context.color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
        };
        int snapshots = 0;
        for (const auto& p : report.processes) snapshots += p.snapshots;
        const std::string verdict = report.leak ? paint("1;31", "LEAK") : report.evidence ? paint("1;32", "clean") : paint("1;33", "not judged");
        out << "leakscope: " << verdict << " — "
            << report.findings.size() << " finding(s) in " << report.processes.size() << " process(es), " << snapshots
            << " snapshot(s)";
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
            out << "  growth not judged: " << (n.pid ? "pid " + std::to_string(n.pid) + ": " : "") << n.reason << "\n";
        for (const auto& note : report.notes) out << "  note: " << note << "\n";
        for (const auto& f : report.findings) {
            out << "\n" << paint(f.gating ? "1;31" : "1;33", "[" + f.type + "]") << " " << findingTitle(f);
            if (f.type == kGrowth) out << "  (grew on " << f.cycles_grown << " of " << f.cycles_observed << " cycles)";
            out << "  pid " << f.pid << "\n";
            writeStack(f.stack, out, paint);
        }
    }

private:
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
        if (stack.size() > shown) out << "    ... " << (stack.size() - shown) << " more frame(s)\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeTextFormatter() { return std::make_unique<TextFormatter>(); }

}  // namespace leakscope::analyzer
