#include "LwsTestSupport.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace leakscope::lws_tests {
namespace {

// The first few symbolized function names of a stack, innermost first.
std::string firstFrames(const nlohmann::json& frames, std::size_t count) {
    std::ostringstream out;
    std::size_t shown = 0;
    for (const auto& frame : frames) {
        if (shown == count) break;
        if (shown++ > 0) out << " <- ";
        out << frame.value("function", std::string("?"));
    }
    return out.str();
}

// A snapshot's stack `id` as symbolized function names.
nlohmann::json stackFrames(const nlohmann::json& snapshot, const nlohmann::json& id) {
    for (const auto& stack : snapshot.value("stacks", nlohmann::json::array()))
        if (stack.value("id", nlohmann::json()) == id) return stack.value("symbols", nlohmann::json::array());
    return nlohmann::json::array();
}

}  // namespace

CycleSnapshots loadCycleSnapshots(const testing::ToolRun& run, int every) {
    const std::string cycle_suffix = "-cycle.lksnap";
    CycleSnapshots series;
    int starts = 0;
    for (const auto& file : run.snapshots()) {
        bool is_cycle = file.size() > cycle_suffix.size() &&
                        file.compare(file.size() - cycle_suffix.size(), cycle_suffix.size(), cycle_suffix) == 0;
        if (is_cycle) {
            int number = ++series.cycles_taken;
            if (number != 1 && number % every != 0) continue;
            series.cycle_numbers.push_back(number);
        }
        nlohmann::json shown = testing::showSnapshot(file);
        std::string label = shown.value("label", "");
        if (label == "start") {
            series.start = shown;
            starts++;
        } else if (label == "cycle") {
            series.cycles.push_back(shown);
        }
        if (is_cycle) REQUIRE(label == "cycle");
    }
    INFO("snapshots in " << run.snapshot_dir << ": " << run.snapshots().size());
    REQUIRE(starts == 1);
    return series;
}

std::set<int> openFds(const nlohmann::json& snapshot) {
    std::set<int> fds;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array())) fds.insert(handle.value("fd", -1));
    return fds;
}

int countSockets(const nlohmann::json& snapshot, const std::string& family, const std::string& type) {
    int count = 0;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array())) {
        std::string details = handle.value("details", "");
        if (handle.value("kind", "") == "socket" && details.find(family) != std::string::npos &&
            details.find(type) != std::string::npos)
            count++;
    }
    return count;
}

int countHandles(const nlohmann::json& snapshot, const std::string& kind, const std::string& text) {
    int count = 0;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array())) {
        std::string described = handle.value("details", "") + " " + handle.value("path", "");
        if (handle.value("kind", "") == kind && described.find(text) != std::string::npos) count++;
    }
    return count;
}

long long counter(const nlohmann::json& snapshot, const std::string& name) {
    if (!snapshot.contains("counters")) return -1;
    return snapshot["counters"].value(name, -1LL);
}

std::string describeFds(const std::set<int>& fds) {
    std::ostringstream out;
    for (int fd : fds) out << fd << ' ';
    return out.str();
}

std::string describeFindings(const nlohmann::json& report) {
    if (!report.is_object()) return "no report";
    std::ostringstream out;
    for (const auto& finding : report.value("findings", nlohmann::json::array())) {
        out << finding.value("type", "?") << ' ' << finding.value("resource", "") << ' '
            << finding.value("handle_kind", "") << ' ' << finding.value("handle_details", "")
            << " count/cycle=" << finding.value("count_per_cycle", nlohmann::json()).dump()
            << " bytes/cycle=" << finding.value("bytes_per_cycle", nlohmann::json()).dump()
            << " count=" << finding.value("count", nlohmann::json()).dump() << " stack: "
            << firstFrames(finding.value("stack", nlohmann::json::array()), 6) << '\n';
    }
    return out.str();
}

std::string describeExtraHandles(const nlohmann::json& snapshot, const std::set<int>& baseline) {
    std::ostringstream out;
    for (const auto& handle : snapshot.value("handles", nlohmann::json::array())) {
        if (baseline.count(handle.value("fd", -1))) continue;
        out << "fd " << handle.value("fd", -1) << ' ' << handle.value("kind", "") << ' '
            << handle.value("details", "") << ' ' << handle.value("path", "") << " stack: "
            << firstFrames(stackFrames(snapshot, handle.value("stack_id", nlohmann::json())), 8) << '\n';
    }
    return out.str();
}

}  // namespace leakscope::lws_tests
