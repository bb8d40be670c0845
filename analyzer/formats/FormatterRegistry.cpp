#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/FindingGroups.h"
#include "core/Plural.h"
#include "core/Reachability.h"
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

// The finding in one line, without its reachability.
std::string titleWithoutReachability(const Finding& f) {
    std::string where = " in " + topFunctionName(f);
    if (f.sites > 1) where += " (" + std::to_string(f.sites) + " sites)";
    if (!f.components.empty()) {
        // A finding grouped by cause (FindingGroups.h): its parts in one line.
        if (f.type == kGrowth) return componentsSummary(f) + " per '" + f.label + "' cycle" + where;
        if (f.type == kLeakedHandle) {
            // The first numbers only: an exhaustion leak leaves thousands (case 15: 19,995 on one line).
            constexpr size_t kFdsListed = 16;
            std::string fds;
            for (size_t i = 0; i < f.components.size() && i < kFdsListed; ++i)
                fds += (fds.empty() ? "" : ", ") + std::to_string(f.components[i].fd);
            if (f.components.size() > kFdsListed) fds += " and " + std::to_string(f.components.size() - kFdsListed) + " more";
            return counted(f.components.size(), "handle") + " still open at exit (fds " + fds + ")" + where;
        }
        return componentsSummary(f) + " live at exit" + where;
    }
    if (f.type == kGrowth && f.resource == "memory")
        return "memory grows by " + formatNumber(f.bytes_per_cycle) + " B (" + formatNumber(f.count_per_cycle) +
               (f.count_per_cycle == 1 ? " block" : " blocks") + ") per '" + f.label + "' cycle" + where;
    if (f.type == kGrowth)
        return f.handle_kind + " handles grow by " + formatNumber(f.count_per_cycle) + " per '" + f.label + "' cycle" + where;
    if (f.type == kLeakedHandle)
        return (f.untracked ? "untracked " : "") + f.handle_kind + " fd " + std::to_string(f.fd) + " still open at exit" +
               (f.handle_details.empty() ? "" : " (" + f.handle_details + ")") + (f.stack.empty() ? "" : where);
    if (f.type == kExitLeak)
        return std::to_string(f.bytes) + " B in " + counted(f.count, "block") + " live at exit" + where;
    // Events: how many, and in how many processes when merged across them (FindingMerge.h).
    if (processCount(f) > 1) where += " (" + std::to_string(processCount(f)) + " processes)";
    if (f.type == "invalid_fd_close") return "close(" + std::to_string(f.value) + ") x" + std::to_string(f.count) + where;
    if (f.type == "unopened_fd_close")
        return "close of fds never opened x" + std::to_string(f.count) + " (first fd " + std::to_string(f.value) + ")" + where;
    return f.type + " x" + std::to_string(f.count) + where;
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
    // Memory growth and exit leaks say how much of it is lost and how much still reachable.
    std::string reachability = reachabilityPhrase(f);
    std::string title = titleWithoutReachability(f);
    return reachability.empty() ? title : title + " — " + reachability;
}

std::string relativeToSourceRoot(const std::string& file, const std::string& root) {
    if (file.empty() || root.empty()) return "";
    if (file[0] != '/') {
        // A path relative to the compilation directory (DW_AT_comp_dir; ccache's base_dir makes them
        // so): "../../src/a.c" from a build directory inside the tree. Accepted only when the file
        // really is there below the root, never guessed.
        std::string_view rest = file;
        while (rest.rfind("../", 0) == 0 || rest.rfind("./", 0) == 0) rest.remove_prefix(rest[1] == '/' ? 2 : 3);
        std::error_code ec;
        return !rest.empty() && std::filesystem::is_regular_file(std::filesystem::path(root) / rest, ec) ? std::string(rest) : "";
    }
    std::string prefix = root.back() == '/' ? root : root + "/";
    return file.size() > prefix.size() && file.compare(0, prefix.size(), prefix) == 0 ? file.substr(prefix.size()) : "";
}

const SymbolizedFrame* ownCodeFrame(const Finding& finding, const std::string& source_root) {
    for (const auto& frame : finding.stack)
        if (!relativeToSourceRoot(frame.file, source_root).empty()) return &frame;
    for (const auto& frame : finding.stack)
        if (frame.file.rfind('/', 0) == 0 && frame.file.rfind("/usr/", 0) != 0 && frame.file.rfind("/lib", 0) != 0) return &frame;
    return nullptr;
}

std::string stableFindingName(const Finding& f) {
    std::string what = f.type;
    if (f.type == kGrowth)
        what += (f.resource == "memory" ? " of memory" : " of " + f.handle_kind + " handles") + std::string(" per '") + f.label + "'";
    else if (f.type == kLeakedHandle) what += " (" + std::string(f.untracked ? "untracked " : "") + f.handle_kind + ")";
    if (f.type == kLeakedHandle && f.stack.empty()) return what + " [" + f.stack_key + "]";
    return what + " in " + topFunctionName(f) + " [" + f.stack_key + "]";
}

}  // namespace leakscope::analyzer
