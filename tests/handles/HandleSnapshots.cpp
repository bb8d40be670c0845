#include "HandleSnapshots.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "ToolRun.h"

namespace leakscope::testing::handles {

PreloadedRun runAndShow(const std::vector<std::string>& program, const ProcessOptions& options) {
    TemporaryDirectory directory;
    PreloadedRun run;
    run.process = runWithPreload(directory.path(), program, options);
    INFO("program stderr: " << run.process.err);
    REQUIRE_FALSE(run.process.timed_out);
    for (const auto& file : listSnapshots(directory.path())) run.snapshots.push_back(showSnapshot(file));
    return run;
}

std::vector<nlohmann::json> labelled(const PreloadedRun& run, const std::string& label, long pid) {
    std::vector<nlohmann::json> found;
    for (const auto& snapshot : run.snapshots) {
        if (snapshot.value("label", "") != label) continue;
        if (pid != 0 && snapshot.value("pid", 0L) != pid) continue;
        found.push_back(snapshot);
    }
    return found;
}

nlohmann::json onlyLabelled(const PreloadedRun& run, const std::string& label) {
    auto found = labelled(run, label);
    INFO("snapshots labelled \"" << label << "\" among " << run.snapshots.size() << "; program stderr: " << run.process.err);
    REQUIRE(found.size() == 1);
    return found.front();
}

std::vector<nlohmann::json> handlesAtFd(const nlohmann::json& snapshot, int fd) {
    std::vector<nlohmann::json> found;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array()))
        if (handle.value("fd", -1) == fd) found.push_back(handle);
    return found;
}

std::vector<std::string> stackFunctions(const nlohmann::json& snapshot, uint64_t stack_id) {
    std::vector<std::string> functions;
    if (stack_id == 0) return functions;
    for (const auto& stack : snapshot.value("stacks", nlohmann::json::array())) {
        if (stack.value("id", uint64_t{0}) != stack_id) continue;
        for (const auto& symbol : stack.value("symbols", nlohmann::json::array()))
            functions.push_back(symbol.value("function", ""));
    }
    return functions;
}

bool stackNamesFunction(const nlohmann::json& snapshot, const nlohmann::json& record, const std::string& function) {
    for (const auto& name : stackFunctions(snapshot, record.value("stack_id", uint64_t{0})))
        if (name == function || name.rfind(function + "(", 0) == 0) return true;
    return false;
}

bool hasFlag(const nlohmann::json& handle, const std::string& flag) {
    for (const auto& present : handle.value("flags", nlohmann::json::array()))
        if (present == flag) return true;
    return false;
}

std::vector<nlohmann::json> eventsOfKind(const nlohmann::json& snapshot, const std::string& kind) {
    std::vector<nlohmann::json> found;
    for (const auto& event : snapshot.value("events", nlohmann::json::array()))
        if (event.value("kind", "") == kind) found.push_back(event);
    return found;
}

uint64_t counter(const nlohmann::json& snapshot, const std::string& name) {
    INFO("counter " << name);
    REQUIRE(snapshot.contains("counters"));
    REQUIRE(snapshot["counters"].contains(name));
    return snapshot["counters"][name].get<uint64_t>();
}

std::vector<int> printedNumbers(const std::string& output, const std::string& tag) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first;
        if (!(words >> first) || first != tag) continue;
        std::vector<int> numbers;
        for (int number; words >> number;) numbers.push_back(number);
        return numbers;
    }
    FAIL("the program printed no line starting with \"" << tag << "\"; its output: " << output);
    return {};
}

}  // namespace leakscope::testing::handles
