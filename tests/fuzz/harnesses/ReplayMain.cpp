// main() for replaying a harness without libFuzzer: each argument is a file, or a directory whose
// files are all replayed, through LLVMFuzzerTestOneInput. Built with the project's ordinary compiler,
// so saved crash inputs (tests/fuzz/regressions/) and the seed corpus are re-run by every build, even
// where clang's fuzzer runtime is missing.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void replayFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path input(argv[i]);
        std::error_code error;
        if (std::filesystem::is_directory(input, error)) {
            for (const auto& entry : std::filesystem::directory_iterator(input))
                if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
                    replayFile(entry.path());
                    ++replayed;
                }
        } else if (std::filesystem::is_regular_file(input, error)) {
            replayFile(input);
            ++replayed;
        } else {
            std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argv[i]);
            return 2;
        }
    }
    std::printf("replayed %zu inputs without a crash\n", replayed);
    return 0;
}
