// JUnit XML for CI test dashboards (Jenkins, GitLab's test report, which compares runs by name):
// one <testsuite> per process and, in it, one <testcase> per check (finding type) — a passing
// "no <type>" testcase when the check found nothing, else one testcase per finding, failing when it
// gates (findings sharing a name share the testcase) — plus a skipped testcase for each thing the report could not judge. Names carry no sizes,
// fd numbers or pids (stableFindingName), so the same leak has the same name in every run; `file` is
// relative to the source root. docs/cli.md, "JUnit".
#include <algorithm>
#include <map>

#include "core/Gate.h"
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

std::string basename(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

struct Suite {
    std::string name;
    std::string body;
    int tests = 0, failures = 0, skipped = 0;
};

void addNotJudged(Suite& suite, const std::string& classname, const NotJudged& item) {
    ++suite.tests, ++suite.skipped;
    // A growth entry keeps the name it always had ("not judged[: 'label']"): dashboards compare runs by name.
    std::string name = (item.what == "growth" ? std::string("not judged") : notJudgedTitle(item)) +
                       (item.label.empty() ? std::string() : ": '" + item.label + "'") +
                       (item.command.empty() ? std::string() : ": " + item.command);
    suite.body += "    <testcase classname=\"" + escapeXml(classname) + "\" name=\"" + escapeXml(name) +
                  "\" time=\"0\">\n      <skipped message=\"" +
                  escapeXml((item.command.empty() ? "" : notJudgedSubject(item) + ": ") + item.reason) +
                  "\"/>\n    </testcase>\n";
}

// One testcase for the findings that share a stable name (one call path: e.g. the same socket leaked
// eight times is one testcase, its message listing each), failing when any of them gates.
void addFindings(Suite& suite, const std::string& classname, const std::vector<const Finding*>& group,
                 const FormatContext& context) {
    const Finding& first = *group.front();
    ++suite.tests;
    std::string testcase = "    <testcase classname=\"" + escapeXml(classname) + "\" name=\"" + escapeXml(stableFindingName(first)) + "\"";
    if (const SymbolizedFrame* frame = ownCodeFrame(first, context.source_root)) {
        std::string file = relativeToSourceRoot(frame->file, context.source_root);
        if (!file.empty()) testcase += " file=\"" + escapeXml(file) + "\" line=\"" + std::to_string(frame->line) + "\"";
    }
    testcase += " time=\"0\">\n";
    std::string message, rule;
    for (const Finding* f : group) {
        message += (message.empty() ? "" : "; ") + findingTitle(*f);
        if (f->gating && rule.empty()) rule = f->gate_rule;
    }
    std::string stack;
    for (const auto& frame : first.stack) stack += escapeXml(frame.function + "  " + frameLocation(frame) + "  " + frame.module) + "\n";
    if (!rule.empty()) {
        ++suite.failures;
        testcase += "      <failure type=\"" + escapeXml(first.type) + "\" message=\"" + escapeXml(message + " (fails by " + rule + ")") +
                    "\">" + stack + "</failure>\n";
    } else {
        // Informational (does not gate): passes, with what was found in its output.
        testcase += "      <system-out>" + escapeXml(message + " (informational)") + "\n" + stack + "</system-out>\n";
    }
    suite.body += testcase + "    </testcase>\n";
}

class JunitFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext& context) const override {
        std::vector<Suite> suites;
        std::map<std::string, int> seen_executables;
        for (const auto& p : report.processes) {
            // Named by executable, not pid: a second process of one program is "(2)" in every run.
            std::string program = basename(p.executable);
            int nth = ++seen_executables[program];
            Suite suite;
            suite.name = "leakscope: " + program + (nth > 1 ? " (" + std::to_string(nth) + ")" : "");
            std::string classname = "leakscope." + program;
            for (const auto& type : findingTypes()) {
                std::vector<std::pair<std::string, std::vector<const Finding*>>> groups;
                for (const auto& f : report.findings) {
                    if (!concernsPid(f, p.pid) || f.type != type) continue;
                    std::string name = stableFindingName(f);
                    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == name; });
                    if (group == groups.end()) group = groups.insert(groups.end(), {name, {}});
                    group->second.push_back(&f);
                }
                for (const auto& group : groups) addFindings(suite, classname + "." + type, group.second, context);
                bool found = !groups.empty();
                if (found) continue;
                ++suite.tests;
                suite.body += "    <testcase classname=\"" + escapeXml(classname + "." + type) + "\" name=\"no " + type +
                              "\" time=\"0\"/>\n";
            }
            for (const auto& item : report.not_judged)
                if (item.pid == p.pid && (item.start_ns == 0 || item.start_ns == p.start_ns))
                    addNotJudged(suite, classname + ".not_judged", item);
            suites.push_back(std::move(suite));
        }
        Suite run;
        run.name = "leakscope";
        // Not about one process, or about a process with no snapshot (no suite of its own).
        for (const auto& item : report.not_judged)
            if (item.pid == 0 || std::none_of(report.processes.begin(), report.processes.end(), [&](const ProcessInfo& p) {
                    return p.pid == item.pid && (item.start_ns == 0 || item.start_ns == p.start_ns);
                }))
                addNotJudged(run, "leakscope.not_judged", item);
        if (run.tests || suites.empty()) suites.push_back(std::move(run));

        int tests = 0, failures = 0, skipped = 0;
        for (const auto& s : suites) tests += s.tests, failures += s.failures, skipped += s.skipped;
        out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            << "<testsuites name=\"leakscope\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\""
            << skipped << "\" time=\"0\">\n";
        for (const auto& s : suites)
            out << "  <testsuite name=\"" << escapeXml(s.name) << "\" tests=\"" << s.tests << "\" failures=\"" << s.failures
                << "\" errors=\"0\" skipped=\"" << s.skipped << "\" time=\"0\">\n"
                << s.body << "  </testsuite>\n";
        out << "</testsuites>\n";
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeJunitFormatter() { return std::make_unique<JunitFormatter>(); }

}  // namespace leakscope::analyzer
