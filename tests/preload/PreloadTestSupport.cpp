// Helpers of the preload's integration tests (see PreloadTestSupport.h).
#include "PreloadTestSupport.h"

#include <sstream>

namespace leakscope::testing {

std::vector<std::string> stackFunctions(const nlohmann::json& shown, uint64_t id) {
    std::vector<std::string> functions;
    for (const auto& stack : shown.at("stacks")) {
        if (stack.value("id", 0ull) != id) continue;
        for (const auto& symbol : stack.value("symbols", nlohmann::json::array()))
            functions.push_back(symbol.value("function", ""));
    }
    return functions;
}

bool stackContains(const nlohmann::json& shown, uint64_t id, const std::string& function) {
    for (const auto& name : stackFunctions(shown, id))
        if (name == function || name.rfind(function + "(", 0) == 0) return true;
    return false;
}

std::vector<nlohmann::json> allocationsFrom(const nlohmann::json& shown, const std::string& function) {
    std::vector<nlohmann::json> found;
    for (const auto& allocation : shown.at("allocations"))
        if (stackContains(shown, allocation.value("stack_id", 0ull), function)) found.push_back(allocation);
    return found;
}

std::vector<nlohmann::json> eventsOfKind(const nlohmann::json& shown, const std::string& kind) {
    std::vector<nlohmann::json> found;
    for (const auto& event : shown.at("events"))
        if (event.value("kind", "") == kind) found.push_back(event);
    return found;
}

std::vector<std::string> snapshotsLabelled(const std::string& dir, const std::string& label) {
    std::vector<std::string> found;
    std::string suffix = "-" + label + ".lksnap";
    for (const auto& file : listSnapshots(dir))
        if (file.size() >= suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
            found.push_back(file);
    return found;
}

std::vector<std::string> diagnosticLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);)
        if (line.rfind("leakscope:", 0) == 0) lines.push_back(line);
    return lines;
}

}  // namespace leakscope::testing
