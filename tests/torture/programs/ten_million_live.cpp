// Holds 10 million live allocations at once and asks for a snapshot there (a no-op without the tool),
// then frees them. The tracker's table and the snapshot writer must cope with that many records in
// bounded memory. Peak RSS goes to the file named by $TORTURE_RSS_FILE (not stdout, so the output
// with and without the tool stays identical) so the test can compare the two.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "leakscope/leakscope.h"

namespace {

constexpr long kLive = 10'000'000;

long peakResidentKiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

}  // namespace

int main() {
    auto** blocks = static_cast<unsigned long**>(std::malloc(kLive * sizeof(unsigned long*)));
    unsigned long long sum = 0;
    for (long i = 0; i < kLive; ++i) {
        blocks[i] = static_cast<unsigned long*>(std::malloc(sizeof(unsigned long)));
        *blocks[i] = static_cast<unsigned long>(i);
    }
    leakscope_snapshot("ten-million");
    for (long i = 0; i < kLive; ++i) {
        sum += *blocks[i];
        std::free(blocks[i]);
    }
    std::free(blocks);
    std::printf("%ld live allocations held and freed, sum %llu\n", kLive, sum);
    if (const char* rss_file = std::getenv("TORTURE_RSS_FILE")) std::ofstream(rss_file) << peakResidentKiB() << "\n";
    return 0;
}
