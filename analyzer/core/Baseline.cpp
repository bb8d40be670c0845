#include "core/Baseline.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/status/status.h"

namespace leakscope::analyzer {

absl::StatusOr<std::set<std::string>> readBaseline(const std::string& path) {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(path + ": cannot read the baseline file");
    std::stringstream text;
    text << in.rdbuf();
    auto json = nlohmann::json::parse(text.str(), nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("accepted") || !json["accepted"].is_array())
        return absl::InvalidArgumentError(path + ": not a leakscope baseline (expected a JSON object with an \"accepted\" array)");
    std::set<std::string> keys;
    for (size_t i = 0; i < json["accepted"].size(); ++i) {
        const auto& entry = json["accepted"][i];
        if (!entry.is_object() || !entry.contains("stack_key") || !entry["stack_key"].is_string())
            return absl::InvalidArgumentError(path + ": accepted[" + std::to_string(i) + "] has no string \"stack_key\"");
        keys.insert(entry["stack_key"].get<std::string>());
    }
    return keys;
}

absl::Status writeBaseline(const std::string& path, const std::vector<Finding>& findings) {
    nlohmann::json accepted = nlohmann::json::array();
    std::set<std::string> written;
    for (const auto& f : findings) {
        if (!written.insert(f.stack_key).second) continue;
        accepted.push_back({{"stack_key", f.stack_key}, {"type", f.type},
                            {"function", f.stack.empty() ? std::string() : f.stack[0].function}});
    }
    nlohmann::json baseline = {{"schema_version", 1}, {"tool", "leakscope"}, {"accepted", accepted}};
    std::ofstream out(path, std::ios::trunc);
    if (!out) return absl::InvalidArgumentError(path + ": cannot write the baseline file");
    out << baseline.dump(2) << "\n";
    if (!out) return absl::InvalidArgumentError(path + ": write failed");
    return absl::OkStatus();
}

}  // namespace leakscope::analyzer
