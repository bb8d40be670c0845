// libFuzzer harness: the fuzzer's bytes as a baseline file (analyzer/core/Baseline.h). The baseline
// reader takes a path, so the bytes go to an in-memory file (memfd) read back through /proc/self/fd.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/Baseline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const int memory_file = memfd_create("fuzz-baseline", 0);
    static const std::string path = "/proc/self/fd/" + std::to_string(memory_file);
    if (memory_file < 0 || ftruncate(memory_file, 0) != 0 || pwrite(memory_file, data, size, 0) != static_cast<ssize_t>(size))
        __builtin_trap();  // the harness itself is broken, not the reader
    auto keys = leakscope::analyzer::readBaseline(path);
    if (!keys.ok() && keys.status().message().empty()) __builtin_trap();  // every rejection must say why
    return 0;
}
