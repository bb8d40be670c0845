#include "core/Suppressions.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "core/Gate.h"

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
            return absl::InvalidArgumentError(where + ": unknown finding type \"" + type + "\" (use * or one of growth, leaked_handle, exit_leak, bad_close, double_close, bad_free, failed_allocation, injected_failure)");
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

}  // namespace leakscope::analyzer
