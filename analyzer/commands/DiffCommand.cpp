// `leakscope diff A B`: text (default) or json, to stdout or --output.
#include <fstream>
#include <iostream>

#include "commands/Commands.h"
#include "core/Diff.h"

namespace leakscope::analyzer {

int runDiff(const std::string& before_path, const std::string& after_path, const std::vector<OutputRequest>& outputs) {
    for (const auto& request : outputs)
        if (request.format != "text" && request.format != "json") {
            std::cerr << "leakscope: diff --format " << request.format << ": diff writes text or json\n";
            return kExitInputError;
        }
    auto before = snapshot::readSnapshotFile(before_path);
    if (!before.ok()) return std::cerr << "leakscope: " << before.status().message() << "\n", kExitInputError;
    auto after = snapshot::readSnapshotFile(after_path);
    if (!after.ok()) return std::cerr << "leakscope: " << after.status().message() << "\n", kExitInputError;
    Symbolizer symbolizer;
    SnapshotDiff diff = diffSnapshots(*before, *after, symbolizer);
    std::vector<OutputRequest> requests = outputs.empty() ? std::vector<OutputRequest>{{"text", ""}} : outputs;
    for (const auto& request : requests) {
        std::ofstream file;
        if (!request.path.empty()) {
            file.open(request.path, std::ios::trunc);
            if (!file) return std::cerr << "leakscope: --output " << request.path << ": cannot create the file\n", kExitInputError;
        }
        std::ostream& out = request.path.empty() ? std::cout : file;
        if (request.format == "json") out << diffToJson(diff).dump(2) << "\n";
        else writeDiffText(diff, out);
    }
    return kExitClean;
}

}  // namespace leakscope::analyzer
