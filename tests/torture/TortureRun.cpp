#include "TortureRun.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "ToolRun.h"

namespace leakscope::torture {
namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    if (from.empty()) return text;
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

Transcript runScenario(const Scenario& scenario, const std::string& working_directory,
                       const std::string* snapshot_dir) {
    std::filesystem::create_directories(working_directory);
    if (scenario.prepare) scenario.prepare(working_directory);
    testing::ProcessOptions options = scenario.options;
    options.working_directory = working_directory;
    Transcript transcript;
    for (const Command& command : scenario.commands) {
        testing::ProcessResult result = snapshot_dir ? testing::runWithPreload(*snapshot_dir, command, options)
                                                     : testing::runProcess(command, options);
        transcript.out += replaceAll(result.out, working_directory, "<cwd>");
        transcript.err += replaceAll(result.err, working_directory, "<cwd>");
        transcript.exit_codes.push_back(result.exit_code);
        transcript.timed_out = transcript.timed_out || result.timed_out;
    }
    return transcript;
}

}  // namespace

ComparedRuns runBothWays(const std::string& root, const Scenario& scenario) {
    ComparedRuns runs;
    runs.snapshot_dir = root + "/snapshots";
    // The same directory name both times, so anything that prints paths or hashes them matches.
    const std::string working_directory = root + "/work";
    runs.plain = runScenario(scenario, working_directory, nullptr);
    std::filesystem::remove_all(working_directory);
    runs.traced = runScenario(scenario, working_directory, &runs.snapshot_dir);
    return runs;
}

void requireSameBehaviour(const ComparedRuns& runs, bool compare_stderr) {
    INFO("plain stdout:\n" << runs.plain.out << "\nplain stderr:\n" << runs.plain.err);
    INFO("traced stdout:\n" << runs.traced.out << "\ntraced stderr:\n" << runs.traced.err);
    REQUIRE_FALSE(runs.plain.timed_out);
    REQUIRE_FALSE(runs.traced.timed_out);
    CHECK(runs.traced.exit_codes == runs.plain.exit_codes);
    CHECK(runs.traced.out == runs.plain.out);
    if (compare_stderr) CHECK(runs.traced.err == runs.plain.err);
}

std::vector<nlohmann::json> requireValidSnapshots(const std::string& dir, size_t min_exited_processes) {
    std::vector<std::string> files = testing::listSnapshots(dir);
    INFO("snapshot directory " << dir);
    REQUIRE_FALSE(files.empty());
    std::vector<nlohmann::json> snapshots;
    std::set<uint64_t> exited;
    for (const std::string& file : files) {
        nlohmann::json snapshot = testing::showSnapshot(file);
        INFO("snapshot " << file);
        REQUIRE(snapshot.value("format_version", 0) == 3);  // the preload writes version 3 (module files)
        REQUIRE(snapshot.value("pid", 0ull) > 0);
        REQUIRE(snapshot.contains("counters"));
        if (snapshot.value("label", "") == "exit") exited.insert(snapshot.value("pid", 0ull));
        snapshots.push_back(std::move(snapshot));
    }
    CHECK(exited.size() >= min_exited_processes);
    return snapshots;
}

std::vector<nlohmann::json> withLabel(const std::vector<nlohmann::json>& snapshots, const std::string& label) {
    std::vector<nlohmann::json> matching;
    for (const auto& snapshot : snapshots)
        if (snapshot.value("label", "") == label) matching.push_back(snapshot);
    return matching;
}

std::string findInPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream directories(path ? path : "/usr/bin:/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

}  // namespace leakscope::torture
