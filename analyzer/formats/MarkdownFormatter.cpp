// Markdown for CI summaries (GitHub step summary, merge-request notes): a verdict line, a table of
// findings, and each finding's top frames.
#include "core/Plural.h"
#include "formats/Formatters.h"

namespace leakscope::analyzer {

std::string markdownEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>') out += '\\';
        out += c;
    }
    return out;
}

namespace {

class MarkdownFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext&) const override {
        out << "## leakscope: " << (report.leak ? "leak found" : verdictWord(verdictOf(report))) << "\n\n";
        for (const auto& n : report.not_judged)
            out << "- " << notJudgedTitle(n) << ": " << (n.pid ? markdownEscape(notJudgedSubject(n)) + ": " : "")
                << markdownEscape(n.reason) << "\n";
        if (!report.not_judged.empty()) out << "\n";
        out << counted(report.findings.size(), "finding") << " in " << counted(report.processes.size(), "process", "processes");
        if (report.suppressed) out << ", " << report.suppressed << " suppressed";
        if (report.baselined) out << ", " << report.baselined << " baselined";
        out << ".\n\n";
        if (report.findings.empty()) return;
        out << "| # | type | gate | finding | top frame | location |\n|---|---|---|---|---|---|\n";
        for (size_t i = 0; i < report.findings.size(); ++i) {
            const auto& f = report.findings[i];
            std::string location = f.stack.empty() ? "" : frameLocation(f.stack[0]);
            out << "| " << i + 1 << " | " << f.type << " | " << (f.gating ? "fails" : "info") << " | "
                << markdownEscape(findingTitle(f)) << " | " << markdownEscape(topFunctionName(f)) << " | " << markdownEscape(location) << " |\n";
        }
        out << "\n";
        for (size_t i = 0; i < report.findings.size(); ++i) {
            const auto& f = report.findings[i];
            if (!f.gating || f.stack.empty()) continue;
            out << "<details><summary>" << i + 1 << ". " << markdownEscape(findingTitle(f)) << "</summary>\n\n```\n";
            for (size_t k = 0; k < f.stack.size() && k < 16; ++k)
                out << "#" << k << " " << f.stack[k].function << "  " << frameLocation(f.stack[k]) << "  " << f.stack[k].module << "\n";
            out << "```\n</details>\n\n";
        }
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeMarkdownFormatter() { return std::make_unique<MarkdownFormatter>(); }

}  // namespace leakscope::analyzer
