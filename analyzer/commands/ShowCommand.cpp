// `leakscope show FILE`: one snapshot as JSON on stdout.
#include <iostream>

#include "commands/Commands.h"
#include "core/SnapshotJson.h"

namespace leakscope::analyzer {

int runShow(const std::string& file) {
    auto snapshot = snapshot::readSnapshotFile(file);
    if (!snapshot.ok()) {
        std::cerr << "leakscope: " << snapshot.status().message() << "\n";
        return kExitInputError;
    }
    Symbolizer symbolizer;
    std::cout << snapshotToJson(*snapshot, symbolizer).dump(2) << "\n";
    return kExitClean;
}

}  // namespace leakscope::analyzer
