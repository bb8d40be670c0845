#include <algorithm>
#include <functional>
#include <sstream>
#include <utility>

#include "core/FindingGroups.h"
#include "formats/ReportFormatter.h"
#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

using Factory = std::function<std::unique_ptr<ReportFormatter>()>;

const std::vector<std::pair<std::string, Factory>>& registry() {
    static const std::vector<std::pair<std::string, Factory>> kFormats = {
        {"text", [] { return makeTextFormatter(); }},
        {"json", [] { return makeJsonFormatter(); }},
        {"markdown", [] { return makeMarkdownFormatter(); }},
        {"junit", [] { return makeJunitFormatter(); }},
        {"sarif", [] { return makeSarifFormatter(); }},
        {"folded", [] { return makeFoldedFormatter(); }},
        {"html", [] { return makeHtmlFormatter(); }},
    };
    return kFormats;
}

std::string formatNumber(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

}  // namespace

std::vector<std::string> formatterNames() {
    std::vector<std::string> names;
    for (const auto& [name, factory] : registry()) names.push_back(name);
    return names;
}

std::unique_ptr<ReportFormatter> makeFormatter(const std::string& name) {
    for (const auto& [known, factory] : registry())
        if (known == name) return factory();
    return nullptr;
}

std::string frameLocation(const SymbolizedFrame& frame) {
    if (frame.file.empty()) return "";
    return frame.line > 0 ? frame.file + ":" + std::to_string(frame.line) : frame.file;
}

std::string topFunctionName(const Finding& finding) {
    if (finding.stack.empty()) return "(no stack)";
    return finding.headline.empty() ? finding.stack[0].function : finding.headline;
}

const SymbolizedFrame* headlineLocationFrame(const Finding& finding) {
    if (finding.stack.empty()) return nullptr;
    return &finding.stack[std::min(finding.headline_frame, finding.stack.size() - 1)];
}

std::string findingTitle(const Finding& f) {
    std::string where = " in " + topFunctionName(f);
    if (f.sites > 1) where += " (" + std::to_string(f.sites) + " sites)";
    if (!f.components.empty()) {
        // A finding grouped by cause (FindingGroups.h): its parts in one line.
        if (f.type == kGrowth) return componentsSummary(f) + " per '" + f.label + "' cycle" + where;
        if (f.type == kLeakedHandle) {
            std::string fds;
            for (const auto& part : f.components) fds += (fds.empty() ? "" : ", ") + std::to_string(part.fd);
            return std::to_string(f.components.size()) + " handles still open at exit (fds " + fds + ")" + where;
        }
        return componentsSummary(f) + " live at exit" + where;
    }
    if (f.type == kGrowth && f.resource == "memory")
        return "memory grows by " + formatNumber(f.bytes_per_cycle) + " B (" + formatNumber(f.count_per_cycle) +
               " blocks) per '" + f.label + "' cycle" + where;
    if (f.type == kGrowth)
        return f.handle_kind + " handles grow by " + formatNumber(f.count_per_cycle) + " per '" + f.label + "' cycle" + where;
    if (f.type == kLeakedHandle)
        return (f.untracked ? "untracked " : "") + f.handle_kind + " fd " + std::to_string(f.fd) + " still open at exit" +
               (f.handle_details.empty() ? "" : " (" + f.handle_details + ")") + (f.stack.empty() ? "" : where);
    if (f.type == kExitLeak)
        return std::to_string(f.bytes) + " B in " + std::to_string(f.count) + " blocks live at exit" + where;
    return f.type + " x" + std::to_string(f.count) + where;
}

}  // namespace leakscope::analyzer
