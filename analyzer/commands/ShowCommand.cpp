// `leakscope show FILE`: one snapshot as JSON on stdout.
#include <iostream>

#include "commands/Commands.h"
#include "commands/OutputCheck.h"
#include "core/SnapshotJson.h"

namespace leakscope::analyzer {

int runShow(const std::string& file) {
    auto snapshot = snapshot::readSnapshotFile(file);
    if (!snapshot.ok()) {
        std::cerr << "leakscope: " << snapshot.status().message() << "\n";
        return kExitInputError;
    }
    Symbolizer symbolizer;
    failWritesPastFileSizeLimit();
    std::cout << snapshotToJson(*snapshot, symbolizer).dump(2) << "\n";
    return outputWritten(std::cout, "stdout") ? kExitClean : kExitInputError;
}

}  // namespace leakscope::analyzer
