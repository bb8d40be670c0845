#include "core/ModuleFileCheck.h"

#include <sys/stat.h>

#include <vector>

namespace leakscope::analyzer {

std::optional<snapshot::ModuleFile> currentModuleFile(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::nullopt;
    return snapshot::ModuleFile{uint64_t(status.st_size), int64_t(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec,
                                uint64_t(status.st_dev), uint64_t(status.st_ino)};
}

std::string moduleFileDifference(const snapshot::ModuleFile& run, const snapshot::ModuleFile& now) {
    std::vector<const char*> differ;
    if (run.size != now.size) differ.push_back("size");
    if (run.mtime_ns != now.mtime_ns) differ.push_back("mtime");
    if (run.device != now.device) differ.push_back("device");
    if (run.inode != now.inode) differ.push_back("inode");
    std::string text;
    for (const char* field : differ) text += (text.empty() ? "" : "/") + std::string(field);
    if (!text.empty()) text += differ.size() == 1 ? " differs" : " differ";
    return text;
}

}  // namespace leakscope::analyzer
