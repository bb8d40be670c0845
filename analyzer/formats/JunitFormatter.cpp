// JUnit XML for CI test dashboards: one testcase per finding (classname = finding type, name = its
// title), a <failure> for the ones that fail the gate, the stack in the failure body.
#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

std::string escapeXml(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 forbids most control characters even when escaped.
                if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') out += '?';
                else out += char(c);
        }
    }
    return out;
}

class JunitFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext&) const override {
        size_t failures = 0;
        for (const auto& f : report.findings) failures += f.gating ? 1 : 0;
        out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            << "<testsuites name=\"leakscope\" tests=\"" << report.findings.size() << "\" failures=\"" << failures << "\">\n"
            << "  <testsuite name=\"leakscope\" tests=\"" << report.findings.size() << "\" failures=\"" << failures
            << "\" errors=\"0\" skipped=\"0\">\n";
        for (const auto& f : report.findings) {
            out << "    <testcase classname=\"leakscope." << escapeXml(f.type) << "\" name=\"" << escapeXml(findingTitle(f))
                << " [" << f.stack_key << "]\"";
            if (!f.stack.empty() && !f.stack[0].file.empty())
                out << " file=\"" << escapeXml(f.stack[0].file) << "\" line=\"" << f.stack[0].line << "\"";
            if (!f.gating) {
                out << "/>\n";
                continue;
            }
            out << ">\n      <failure type=\"" << escapeXml(f.type) << "\" message=\"" << escapeXml(findingTitle(f)) << "\">";
            for (const auto& frame : f.stack)
                out << escapeXml(frame.function + "  " + frameLocation(frame) + "  " + frame.module) << "\n";
            out << "</failure>\n    </testcase>\n";
        }
        out << "  </testsuite>\n</testsuites>\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeJunitFormatter() { return std::make_unique<JunitFormatter>(); }

}  // namespace leakscope::analyzer
