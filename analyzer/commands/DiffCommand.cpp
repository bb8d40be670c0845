// `leakscope diff A B`: text (default), json or markdown, to stdout or --output.
#include <algorithm>
#include <fstream>
#include <iostream>

#include "commands/Commands.h"
#include "commands/OutputCheck.h"
#include "core/Diff.h"

namespace leakscope::analyzer {

int runDiff(const std::string& before_path, const std::string& after_path, const std::vector<OutputRequest>& outputs) {
    for (const auto& request : outputs)
        if (std::find(std::begin(kDiffFormats), std::end(kDiffFormats), request.format) == std::end(kDiffFormats)) {
            std::cerr << "leakscope: diff --format " << request.format
                      << ": not available for diff (it writes text, json or markdown; junit, sarif, folded and html describe a report)\n";
            return kExitInputError;
        }
    auto before = snapshot::readSnapshotFile(before_path);
    if (!before.ok()) return std::cerr << "leakscope: " << before.status().message() << "\n", kExitInputError;
    auto after = snapshot::readSnapshotFile(after_path);
    if (!after.ok()) return std::cerr << "leakscope: " << after.status().message() << "\n", kExitInputError;
    Symbolizer symbolizer;
    SnapshotDiff diff = diffSnapshots(*before, *after, symbolizer);
    std::vector<OutputRequest> requests = outputs.empty() ? std::vector<OutputRequest>{{"text", ""}} : outputs;
    failWritesPastFileSizeLimit();
    for (const auto& request : requests) {
        std::ofstream file;
        if (!request.path.empty()) {
            file.open(request.path, std::ios::trunc);
            if (!file) return std::cerr << "leakscope: --output " << request.path << ": cannot create the file\n", kExitInputError;
        }
        std::ostream& out = request.path.empty() ? std::cout : file;
        if (request.format == "json") out << diffToJson(diff).dump(2) << "\n";
        else if (request.format == "markdown") writeDiffMarkdown(diff, out);
        else writeDiffText(diff, out);
        if (!outputWritten(out, request.path.empty() ? std::string("stdout") : "--output " + request.path)) return kExitInputError;
    }
    return kExitClean;
}

}  // namespace leakscope::analyzer
