// The call chain a finding's stack shows, for the target tests that assert an upstream signature
// ("A called by B called by C"), header-only because every target test executable uses it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace leakscope::target_tests {

// The function names of the finding's stack, innermost first; a demangled C++ name is cut at '('.
inline std::vector<std::string> stackFunctions(const nlohmann::json& finding) {
    std::vector<std::string> names;
    if (!finding.contains("stack")) return names;
    for (const auto& frame : finding["stack"]) {
        std::string name = frame.value("function", "");
        names.push_back(name.substr(0, name.find('(')));
    }
    return names;
}

// True when `chain` (innermost first) appears as consecutive frames of the finding's stack: each
// function called directly by the next one, with no frame in between.
inline bool stackHasCallChain(const nlohmann::json& finding, const std::vector<std::string>& chain) {
    std::vector<std::string> names = stackFunctions(finding);
    if (chain.empty() || names.size() < chain.size()) return false;
    for (std::size_t start = 0; start + chain.size() <= names.size(); start++) {
        bool match = true;
        for (std::size_t i = 0; i < chain.size() && match; i++) match = names[start + i] == chain[i];
        if (match) return true;
    }
    return false;
}

// "a <- b <- c" for messages.
inline std::string describeStack(const nlohmann::json& finding) {
    std::string text;
    for (const std::string& name : stackFunctions(finding)) text += (text.empty() ? "" : " <- ") + name;
    return text;
}

}  // namespace leakscope::target_tests
