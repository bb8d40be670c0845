// Agreement with valgrind memcheck: reach_cases runs once under memcheck's leak checker
// (--leak-check=full --show-leak-kinds=all --xml=yes) and once under the preload; at exit, every
// case's blocks must have the same class in both, loss record by loss record (a loss record is one
// allocation stack; in reach_cases each case has its own stack and its own block size). Differences
// that are by design are explained in docs/analysis.md, "The reachability scan".
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <unistd.h>

#include "ProcessRunner.h"
#include "ReachabilityCases.h"
#include "Skip.h"
#include "ToolRun.h"
#include "leakscope/SnapshotReader.h"

using namespace leakscope;
using namespace leakscope::testing;

namespace {

constexpr int kCycles = 3;

// The function of reach_cases that allocates each case.
const std::map<uint64_t, std::string> kAllocatingFunction = {
    {kLostPerCycle, "lose_previous_block"},  {kListNode, "append_list_node"},  {kTreeRoot, "build_lost_tree"},
    {kTreeChild, "build_lost_tree"},        {kInteriorOnly, "keep_interior_pointer"},
    {kOtherThreadStack, "thread_holding_block"}, {kModuleData, "keep_in_module"}};

std::string className(const std::string& kind) {
    if (kind == "Leak_DefinitelyLost") return "definitely lost";
    if (kind == "Leak_IndirectlyLost") return "indirectly lost";
    if (kind == "Leak_PossiblyLost") return "possibly lost";
    if (kind == "Leak_StillReachable") return "still reachable";
    return "unknown kind " + kind;
}

std::string valgrindPath() {
    for (const char* candidate : {"/usr/bin/valgrind", "/usr/local/bin/valgrind"})
        if (access(candidate, X_OK) == 0) return candidate;
    return "";
}

}  // namespace

TEST_CASE("at exit every case has the class valgrind memcheck gives it") {
    const std::string valgrind = valgrindPath();
    if (valgrind.empty()) SKIP_TEST("valgrind is not installed");
    TemporaryDirectory dir;
    const std::string xml_file = dir.path() + "/memcheck.xml";
    std::vector<std::string> command = {valgrind, "--leak-check=full", "--show-leak-kinds=all", "--xml=yes",
                                        "--xml-file=" + xml_file};
    for (const auto& word : reachCasesCommand(kCycles)) command.push_back(word);
    auto memcheck = runProcess(command);
    INFO(memcheck.err);
    REQUIRE(memcheck.exit_code == 0);
    const std::string xml = readFile(xml_file);

    // <error> ... <kind>Leak_X</kind> ... <leakedbytes>B</leakedbytes> <leakedblocks>N</leakedblocks> ... <stack>
    std::map<uint64_t, ClassCounts> valgrind_classes;
    const std::regex error_pattern("<error>([\\s\\S]*?)</error>");
    const std::regex kind_pattern("<kind>(Leak_[A-Za-z]+)</kind>");
    const std::regex direct_pattern("\\(([0-9,]+) direct");
    const std::regex bytes_pattern("<leakedbytes>([0-9]+)</leakedbytes>\\s*<leakedblocks>([0-9]+)</leakedblocks>");
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), error_pattern); it != std::sregex_iterator(); ++it) {
        const std::string error = (*it)[1];
        std::smatch kind, bytes;
        if (!std::regex_search(error, kind, kind_pattern) || !std::regex_search(error, bytes, bytes_pattern)) continue;
        // A definitely lost record's bytes include the blocks it leads ("4,015 (1,003 direct, 3,012
        // indirect) bytes in 1 blocks"): its own blocks are the direct bytes.
        uint64_t own_bytes = std::stoull(bytes[1]);
        std::smatch direct;
        if (std::regex_search(error, direct, direct_pattern)) {
            std::string digits = direct[1];
            digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
            own_bytes = std::stoull(digits);
        }
        const uint64_t blocks = std::stoull(bytes[2]);
        const uint64_t size = own_bytes / blocks;
        auto function = kAllocatingFunction.find(size);
        if (function == kAllocatingFunction.end() || own_bytes % blocks != 0) continue;
        INFO("memcheck loss record of " << blocks << " x " << size << " bytes");
        // The record's stack is the case's allocating function: size and stack name the same case.
        CHECK(error.find("<fn>" + function->second + "</fn>") != std::string::npos);
        valgrind_classes[size][className(kind[1])] += blocks;
    }

    TemporaryDirectory snapshots;
    auto run = runWithPreload(snapshots.path(), reachCasesCommand(kCycles));
    REQUIRE(run.exit_code == 0);
    std::string exit_file;
    for (const auto& file : listSnapshots(snapshots.path()))
        if (file.ends_with("-exit.lksnap")) exit_file = file;
    REQUIRE(!exit_file.empty());
    auto parsed = snapshot::readSnapshotFile(exit_file);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->classified());

    for (uint64_t size : kCaseSizes) {
        INFO("blocks of " << size << " bytes (" << kAllocatingFunction.at(size) << ")");
        CHECK(describe(classesOfSize(*parsed, size)) == describe(valgrind_classes[size]));
        // ... and both are what the case is built to be.
        CHECK(describe(valgrind_classes[size]) == describe(expectedClasses(size, kCycles, true)));
    }
}
