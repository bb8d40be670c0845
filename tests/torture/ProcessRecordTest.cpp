// Processes the preload followed but that left no final snapshot must be in the report as "process not
// judged", with the reason, and never change the gate (issue 16, kinds 8 and 11; docs/architecture.md,
// "Process records"). Each program runs plainly and under `leakscope run`, same output required.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "Skip.h"
#include "ToolRun.h"

using leakscope::testing::ProcessResult;
using leakscope::testing::TemporaryDirectory;
using leakscope::testing::ToolRun;

namespace {

const std::string kProgram = LEAKSCOPE_TARGET_HOST_PROCESS_ENDS;

// The report's `not_judged` entries about whole processes.
std::vector<nlohmann::json> unjudgedProcesses(const nlohmann::json& report) {
    std::vector<nlohmann::json> found;
    for (const auto& item : report.value("not_judged", nlohmann::json::array()))
        if (item.value("what", "") == "process") found.push_back(item);
    return found;
}

// The pid the program printed after `word` ("worker 123 ...").
uint64_t printedPid(const std::string& out, const std::string& word) {
    std::smatch match;
    REQUIRE(std::regex_search(out, match, std::regex(word + " ([0-9]+)")));
    return std::stoull(match[1]);
}

// The process records left in a directory (names starting with .proc- or .exec-).
std::vector<std::string> recordsIn(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(".proc-") || name.starts_with(".exec-")) names.push_back(name);
    }
    return names;
}

ToolRun runChecked(const TemporaryDirectory& dir, const std::vector<std::string>& program,
                   const std::vector<std::string>& tool_args = {"--check"}) {
    ProcessResult plain = leakscope::testing::runProcess(program);
    ToolRun run = leakscope::testing::runUnderTool(dir.path(), program, tool_args);
    INFO("plain: exit " << plain.exit_code << "\n" << plain.out << plain.err << "\nunder run: exit "
                        << run.process.exit_code << "\n" << run.process.out << run.process.err);
    REQUIRE(plain.exit_code == 0);
    REQUIRE(!run.report.is_null());
    // The program prints pids, which differ from run to run: compare the lines without digits.
    auto digitless = [](const std::string& text) { return std::regex_replace(text, std::regex("[0-9]+"), "N"); };
    CHECK(digitless(run.process.out) == digitless(plain.out));
    return run;
}

}  // namespace

TEST_CASE("a worker that switched user by the raw system call is not judged, and says why", "[torture]") {
    if (geteuid() != 0) SKIP_TEST("not root: the worker cannot switch user");
    TemporaryDirectory dir;
    ToolRun run = runChecked(dir, {kProgram, "raw-setuid"});
    CHECK(run.process.exit_code == 0);  // the gate: records never fail it
    const uint64_t worker = printedPid(run.process.out, "worker");
    auto unjudged = unjudgedProcesses(run.report);
    INFO(run.report.dump(2));
    REQUIRE(unjudged.size() == 1);
    CHECK(unjudged[0]["pid"] == worker);
    CHECK(unjudged[0]["command"] == "host_process_ends");
    CHECK(unjudged[0]["reason"].get<std::string>().find("switched to uid 65534 after start and could not write its snapshots") !=
          std::string::npos);
    CHECK(run.report["verdict"] != "leak");  // no series here: "not judged", and the entry says why
}

TEST_CASE("a program under an inherited seccomp filter is not tracked by default, and with --track-sandboxed its leak is found",
          "[torture]") {
    const std::vector<std::string> program = {kProgram, "launch-sandboxed", kProgram, "cycles"};
    {
        TemporaryDirectory dir;
        ToolRun run = runChecked(dir, program);
        CHECK(run.process.exit_code == 0);
        const uint64_t launcher = printedPid(run.process.out, "launcher");
        auto unjudged = unjudgedProcesses(run.report);
        INFO(run.report.dump(2));
        REQUIRE(unjudged.size() == 1);
        CHECK(unjudged[0]["pid"] == launcher);  // exec keeps the pid
        CHECK(unjudged[0]["reason"].get<std::string>().starts_with("inherited a seccomp filter: not tracked"));
        CHECK(leakscope::testing::findingsOfType(run.report, "growth").empty());
    }
    {
        TemporaryDirectory dir;
        ToolRun run = runChecked(dir, program, {"--track-sandboxed"});
        INFO(run.report.dump(2));
        CHECK(unjudgedProcesses(run.report).empty());
        bool found = false;
        for (const auto& finding : leakscope::testing::findingsOfType(run.report, "growth"))
            found = found || (leakscope::testing::stackHasFunction(finding, "leak_per_cycle") &&
                              finding["bytes_per_cycle"] == 1000);
        CHECK(found);
        CHECK(recordsIn(run.snapshot_dir).empty());  // its exit snapshot settled its record
    }
}

TEST_CASE("a child killed by SIGKILL is not judged in every format, and the gate is unchanged", "[torture]") {
    TemporaryDirectory dir;
    ToolRun run = runChecked(dir, {kProgram, "killed-child"});
    CHECK(run.process.exit_code == 0);
    const uint64_t child = printedPid(run.process.out, "child");
    auto unjudged = unjudgedProcesses(run.report);
    INFO(run.report.dump(2));
    REQUIRE(unjudged.size() == 1);
    CHECK(unjudged[0]["pid"] == child);
    CHECK(unjudged[0]["reason"].get<std::string>().starts_with("ended without a final snapshot"));
    const std::string subject = "pid " + std::to_string(child) + " (host_process_ends)";
    for (const char* format : {"text", "markdown", "html", "junit"}) {
        ProcessResult report = leakscope::testing::runAnalyzer({"report", run.snapshot_dir, "--format", format});
        INFO(format << ": exit " << report.exit_code << "\n" << report.out << report.err);
        CHECK(report.exit_code == 0);
        CHECK(report.out.find("ended without a final snapshot") != std::string::npos);
        if (std::string(format) == "text" || std::string(format) == "html") CHECK(report.out.find(subject) != std::string::npos);
        CHECK(report.out.find(std::to_string(child)) != std::string::npos);
    }
    ProcessResult gate = leakscope::testing::runAnalyzer({"check", run.snapshot_dir});
    CHECK(gate.exit_code == 0);
}

TEST_CASE("a fork-heavy run leaves no record and no process not judged", "[torture]") {
    TemporaryDirectory dir;
    ToolRun run = runChecked(dir, {"sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; ( : ); done; echo done"});
    CHECK(run.process.exit_code == 0);
    INFO(run.report.dump(2));
    CHECK(unjudgedProcesses(run.report).empty());
    CHECK(recordsIn(run.snapshot_dir).empty());
    CHECK(run.report["processes"].size() >= 21);
}
