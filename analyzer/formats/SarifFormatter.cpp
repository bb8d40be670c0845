// SARIF 2.1.0 as GitHub code scanning accepts it: every rule with a full description, help text and a
// helpUri to its section of the documentation; every result located at the first frame in the
// program's own code (ownCodeFrame: a leak found through libstdc++ is annotated where the program
// called it), its URI relative to the source root (%SRCROOT%, declared in originalUriBaseIds); the whole
// stack as a codeFlow; the stack key as partial fingerprint so alerts follow the leak across runs.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>
#include <nlohmann/json.hpp>

#include "core/Gate.h"
#include "formats/Formatters.h"

namespace leakscope::analyzer {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSourceRootId = "%SRCROOT%";

struct RuleText {
    const char* type;
    const char* name;   // PascalCase, as SARIF viewers show rule names
    const char* short_text;
    const char* full_text;
    const char* doc;    // page#anchor under the documentation root
};

constexpr RuleText kRules[] = {
    {"growth", "LifecycleGrowth", "Memory or handles grow with every lifecycle cycle",
     "The live memory or handles created at this call path grow from cycle to cycle of a repeated "
     "lifecycle event (a request, a session, a reload) after the warm-up: each cycle leaves something "
     "behind that the next cycles never free, so a long-running process runs out of memory or descriptors. "
     "Memory growth says how much of it per cycle is lost and how much still reachable (valgrind's classes) "
     "when a snapshot was classified: lost memory needs a free, reachable growth a bound or an eviction.",
     "analysis.md#the-growth-rule"},
    {"leaked_handle", "HandleOpenAtExit", "A file descriptor is still open when the process exits",
     "A descriptor the program opened (not one it inherited, not 0-2) is still open in the process's exit "
     "snapshot: nothing closed it. Harmless in a one-shot tool, a leak in a server or library.",
     "analysis.md#other-findings"},
    {"exit_leak", "MemoryLiveAtExit", "Memory is still allocated when the process exits",
     "Memory allocated at this call path is still live in the exit snapshot; when it was classified, the "
     "message gives valgrind's classes (\"definitely lost\", \"indirectly lost\", \"possibly lost\", \"still "
     "reachable\"). Informational by default: it gates with --fail-on exit_leak or --max-exit-bytes.",
     "analysis.md#other-findings"},
    {"bad_close", "BadClose", "close() of a descriptor that is not open",
     "The program closed a descriptor that was not open (EBADF): usually a stale copy of an fd that was "
     "closed before and may since have been reused for another file, which then gets closed by mistake.",
     "handles.md"},
    {"double_close", "DoubleClose", "A descriptor is closed twice",
     "The same descriptor was closed twice without being opened in between; if another thread reused the "
     "number meanwhile, the second close closes someone else's file.",
     "handles.md"},
    {"bad_free", "BadFree", "free() of a pointer the allocator did not hand out",
     "The program freed a pointer that is not a live allocation (already freed, or never allocated): "
     "heap corruption waiting to happen.",
     "analysis.md#other-findings"},
    {"failed_allocation", "FailedAllocation", "An allocation failed",
     "An allocation returned NULL (out of memory or an impossible size); check that the program handles it.",
     "analysis.md#other-findings"},
    {"injected_failure", "InjectedFailure", "An allocation failed by fault injection",
     "leakscope made this allocation fail on purpose (--fail-alloc); the report shows how the program's "
     "error path behaved.",
     "configuration.md"},
};

const RuleText& ruleText(const std::string& type) {
    for (const auto& rule : kRules)
        if (type == rule.type) return rule;
    return kRules[0];
}

// Where the documentation is: LEAKSCOPE_DOCS_URL when the build set one (a published copy), else the
// installed docs (<prefix>/share/doc/leakscope/, as the DEB installs them), else the source tree's docs
// of the build this binary came from.
std::string docsBaseUri() {
#ifdef LEAKSCOPE_DOCS_URL
    if (std::string configured = LEAKSCOPE_DOCS_URL; !configured.empty()) return configured.back() == '/' ? configured : configured + "/";
#endif
    std::error_code ec;
    fs::path installed = fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "share/doc/leakscope";
    if (!ec && fs::is_directory(installed, ec)) return "file://" + installed.lexically_normal().string() + "/";
#ifdef LEAKSCOPE_SOURCE_DOCS_DIR
    return std::string("file://") + LEAKSCOPE_SOURCE_DOCS_DIR + "/";
#else
    return "file:///usr/share/doc/leakscope/";
#endif
}

nlohmann::json ruleFor(const std::string& type, const std::string& docs) {
    const RuleText& text = ruleText(type);
    std::string help = std::string(text.full_text) + "\n\nThe result's code flow is the allocating (or opening) call stack. Fix the "
                       "call path that keeps what it created, or accept it with a suppression or a baseline (docs/cli.md).";
    std::string markdown = std::string("**") + text.short_text + "**\n\n" + text.full_text +
                           "\n\nThe code flow shows the allocating (or opening) call stack. Accept a known finding with a "
                           "suppression or with `--baseline` ([command line](" + docs + "cli.md)).";
    return {{"id", type},
            {"name", text.name},
            {"shortDescription", {{"text", text.short_text}}},
            {"fullDescription", {{"text", text.full_text}}},
            {"help", {{"text", help}, {"markdown", markdown}}},
            {"helpUri", docs + text.doc},
            {"defaultConfiguration", {{"level", "error"}}},
            {"properties", {{"tags", {"reliability", type == kGrowth || type == kExitLeak ? "memory-leak" : "resource"}},
                            {"precision", "high"},
                            {"problem.severity", "error"}}}};
}

// A path as a URI reference: characters that are not allowed or mean something else in a URI
// (space, %, #, ?, non-ASCII bytes) are percent-encoded.
std::string uriPath(const std::string& path) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        bool plain = std::isalnum(c) || std::string_view("/-._~+:@!$&'()*,;=").find(char(c)) != std::string_view::npos;
        out += plain ? std::string(1, char(c)) : std::string{'%', kHex[c >> 4], kHex[c & 15]};
    }
    return out;
}

// A file as a SARIF artifact location: relative to %SRCROOT% below the source root, else an absolute
// file URI (a system header, a library's source); null for a relative path that is not below the root
// (a compilation-directory-relative path of another tree: no place a viewer could open).
nlohmann::json artifactLocation(const std::string& file, const std::string& source_root) {
    std::string relative = relativeToSourceRoot(file, source_root);
    if (!relative.empty()) return {{"uri", uriPath(relative)}, {"uriBaseId", kSourceRootId}};
    if (file.rfind('/', 0) == 0) return {{"uri", "file://" + uriPath(file)}};
    return nullptr;
}

nlohmann::json physicalLocation(const SymbolizedFrame& frame, const std::string& source_root) {
    nlohmann::json artifact = artifactLocation(frame.file, source_root);
    if (artifact.is_null()) return nullptr;
    nlohmann::json location = {{"artifactLocation", artifact}};
    if (frame.line > 0) location["region"] = {{"startLine", frame.line}};
    return location;
}

class SarifFormatter : public ReportFormatter {
public:
    void write(const Report& report, std::ostream& out, const FormatContext& context) const override {
        const std::string& root = context.source_root;
        std::string docs = docsBaseUri();
        nlohmann::json rules = nlohmann::json::array(), results = nlohmann::json::array();
        std::vector<std::string> seen;
        for (const auto& f : report.findings) {
            auto known = std::find(seen.begin(), seen.end(), f.type);
            if (known == seen.end()) known = seen.insert(seen.end(), f.type), rules.push_back(ruleFor(f.type, docs));
            std::string message = findingTitle(f) + (f.gating ? " — fails the gate (" + f.gate_rule + ")" : " — informational");
            nlohmann::json result = {{"ruleId", f.type},
                                     {"ruleIndex", known - seen.begin()},
                                     {"level", f.gating ? "error" : "note"},
                                     {"message", {{"text", message}}},
                                     {"partialFingerprints", {{"leakscopeStackKey/v1", f.stack_key}}},
                                     {"locations", {location(report, f, root)}}};
            nlohmann::json flow_locations = nlohmann::json::array();
            for (const auto& frame : f.stack) {
                nlohmann::json step = {{"message", {{"text", frame.function}}}};
                if (auto place = physicalLocation(frame, root); !place.is_null()) step["physicalLocation"] = place;
                flow_locations.push_back({{"location", step}});
            }
            if (!flow_locations.empty()) result["codeFlows"] = {{{"threadFlows", {{{"locations", flow_locations}}}}}};
            results.push_back(result);
        }
        std::string root_uri = "file://" + uriPath(root.empty() || root.back() == '/' ? root : root + "/");
        nlohmann::json run = {
            {"tool", {{"driver", {{"name", "leakscope"}, {"version", kToolVersion}, {"semanticVersion", kToolVersion},
                                  {"informationUri", docs + "README.md"}, {"rules", rules}}}}},
            {"originalUriBaseIds", {{kSourceRootId, {{"uri", root_uri}}}}},
            {"results", results}};
        nlohmann::json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"}, {"version", "2.1.0"}, {"runs", {run}}};
        out << sarif.dump(2) << "\n";
    }

private:
    // The program's own frame; else the first frame with a file a viewer can open; else the executable
    // of the process (a finding with no source line, e.g. an fd nobody's hook saw, still needs a place).
    static nlohmann::json location(const Report& report, const Finding& f, const std::string& root) {
        const SymbolizedFrame* frame = ownCodeFrame(f, root);
        if (!frame)
            for (const auto& candidate : f.stack)
                if (!physicalLocation(candidate, root).is_null()) {
                    frame = &candidate;
                    break;
                }
        nlohmann::json location;
        if (frame) {
            location["physicalLocation"] = physicalLocation(*frame, root);
            location["logicalLocations"] = {{{"fullyQualifiedName", frame->function}, {"kind", "function"}}};
            return location;
        }
        std::string executable;
        for (const auto& p : report.processes)
            if (p.pid == f.pid) executable = p.executable;
        nlohmann::json artifact = artifactLocation(executable.empty() ? "/" : executable, root);
        location["physicalLocation"] = {{"artifactLocation", artifact.is_null() ? nlohmann::json{{"uri", "file:///"}} : artifact}};
        return location;
    }
};

}  // namespace

std::unique_ptr<ReportFormatter> makeSarifFormatter() { return std::make_unique<SarifFormatter>(); }

}  // namespace leakscope::analyzer
