#include "core/Suppressions.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "core/Gate.h"
#include "core/FrameTrimmer.h"

namespace leakscope::analyzer {
namespace {

bool globMatches(const std::string& pattern, const std::string& text) {
    return !text.empty() && fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string basename(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::StatusOr<std::vector<Suppression>> parseSuppressions(const std::string& text, const std::string& name) {
    std::vector<Suppression> rules;
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        std::string trimmed(absl::StripAsciiWhitespace(line));
        if (trimmed.empty()) continue;
        std::string where = name + ":" + std::to_string(number);
        auto colon = trimmed.find(':');
        if (colon == std::string::npos)
            return absl::InvalidArgumentError(where + ": expected TYPE:PATTERN, got \"" + trimmed + "\"");
        std::string type(absl::StripAsciiWhitespace(trimmed.substr(0, colon)));
        std::string pattern(absl::StripAsciiWhitespace(trimmed.substr(colon + 1)));
        const auto& types = findingTypes();
        if (type != "*" && std::find(types.begin(), types.end(), type) == types.end())
            return absl::InvalidArgumentError(where + ": unknown finding type \"" + type + "\" (use * or one of " + findingTypeList() + ")");
        if (pattern.empty()) return absl::InvalidArgumentError(where + ": empty pattern after \"" + type + ":\"");
        rules.push_back({type, pattern, where});
    }
    return rules;
}

absl::StatusOr<std::vector<Suppression>> readSuppressions(const std::string& path) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(path + ": cannot read the suppressions file");
    std::stringstream text;
    text << in.rdbuf();
    return parseSuppressions(text.str(), path);
}

bool suppressionMatches(const Suppression& rule, const Finding& finding) {
    if (rule.type != "*" && rule.type != finding.type) return false;
    for (const auto& frame : finding.stack) {
        std::string bare = frame.function.substr(0, frame.function.find('('));
        if (globMatches(rule.pattern, frame.function) || globMatches(rule.pattern, bare) ||
            globMatches(rule.pattern, frame.module) || globMatches(rule.pattern, frame.file) ||
            globMatches(rule.pattern, basename(frame.file)))
            return true;
    }
    // Untracked handles have no stack: let a rule name the /proc target they point at.
    return finding.stack.empty() && globMatches(rule.pattern, finding.handle_details);
}

const std::vector<DefaultSuppression>& defaultSuppressions() {
    static const std::vector<DefaultSuppression> kRules = {
        {"glibc thread DTV", {"allocate_dtv", "_dl_allocate_tls*", "_dl_resize_dtv", "_dl_update_slotinfo", "update_get_addr",
                              "__tls_get_addr", "tls_get_addr_tail"}},
        {"stdio buffer", {"_IO_file_doallocate", "_IO_wfile_doallocate", "__GI__IO_file_doallocate"}},
        {"libstdc++ emergency exception pool", {"*pool::pool", "__gnu_cxx::__freeres"}},
        {"NSS and resolver caches", {"__nss_*", "_nss_*", "nss_*", "__resolv_conf*", "__resolv_context*", "__res_*",
                                     "_res_hconf*", "__libc_res_*"}},
    };
    return kRules;
}

namespace {

// libstdc++ allocates its emergency pool (eh_alloc.cc) while loading, before main: a single block of
// this size (for the default EH pool of 64-bit libstdc++ 9 to 13) whose stack the tracker often
// cannot walk yet.
constexpr uint64_t kEmergencyPoolBytes = 72704;

}  // namespace

std::string defaultSuppressionFor(const Finding& finding) {
    if (finding.resource != "memory") return "";
    // The pool's block: no stack (allocated before the tracker could walk), or a stack made only of
    // libstdc++'s static initialiser (a local symbol Debian strips: module+offset) called by ld.so's
    // call_init — which is what it looks like since the preload initialises first (-z initfirst).
    const bool loader_only = std::all_of(finding.stack.begin(), finding.stack.end(), [](const SymbolizedFrame& frame) {
        return frame.module.rfind("libstdc++.so", 0) == 0 || frame.module.rfind("ld-linux", 0) == 0;
    });
    if (loader_only && finding.type == kExitLeak && finding.count == 1 && finding.bytes == kEmergencyPoolBytes &&
        (finding.stack.empty() || finding.stack[0].module.rfind("libstdc++.so", 0) == 0))
        return "libstdc++ emergency exception pool";
    for (const auto& frame : finding.stack) {
        if (!isRuntimeModule(frame.module)) continue;
        std::string bare = frame.function.substr(0, frame.function.find('('));
        for (const auto& rule : defaultSuppressions())
            for (const auto& glob : rule.functions)
                if (globMatches(glob, bare)) return rule.name;
    }
    return "";
}

int applyDefaultSuppressions(std::vector<Finding>& findings, std::vector<std::string>* explain) {
    int removed = 0;
    std::vector<Finding> kept;
    for (auto& finding : findings) {
        std::string rule = defaultSuppressionFor(finding);
        if (rule.empty()) {
            kept.push_back(std::move(finding));
            continue;
        }
        ++removed;
        if (explain) explain->push_back("default rule \"" + rule + "\": " + finding.type + " in " +
                                        (finding.stack.empty() ? std::string("(no stack)") : finding.stack[0].function));
    }
    findings = std::move(kept);
    return removed;
}

void explainSuppressions(const std::vector<Suppression>& rules, const std::vector<Finding>& findings,
                         std::vector<std::string>* explain, std::vector<std::string>& warnings) {
    std::vector<size_t> matched(rules.size(), 0);
    for (const auto& finding : findings) {
        bool first = true;
        for (size_t r = 0; r < rules.size(); ++r) {
            if (!suppressionMatches(rules[r], finding)) continue;
            ++matched[r];
            if (explain && first)
                explain->push_back(rules[r].where + " " + rules[r].type + ":" + rules[r].pattern + ": " + finding.type + " in " +
                                   (finding.stack.empty() ? std::string("(no stack)") : finding.stack[0].function));
            first = false;
        }
    }
    for (size_t r = 0; r < rules.size(); ++r)
        if (findings.size() >= 2 && matched[r] == findings.size())
            warnings.push_back(rules[r].where + ": rule " + rules[r].type + ":" + rules[r].pattern + " matches every finding (" +
                               std::to_string(findings.size()) + " of " + std::to_string(findings.size()) +
                               "); a pattern found in every stack (libc.so.6, main, __libc_start_main) hides all leaks");
}

}  // namespace leakscope::analyzer
