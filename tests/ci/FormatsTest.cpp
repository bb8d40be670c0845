// What the CI formats say about things the report could not judge (Report::not_judged): a skipped
// JUnit testcase with the reason, and a text verdict that is not a bare "clean".
#include <catch2/catch.hpp>
#include <sstream>

#include "formats/ReportFormatter.h"

using namespace leakscope::analyzer;

namespace {

std::string render(const Report& report, const std::string& format) {
    std::ostringstream out;
    makeFormatter(format)->write(report, out, {});
    return out.str();
}

Report reportWithOneShortSeries() {
    Report report;
    report.processes.push_back({.pid = 42, .start_ns = 7, .executable = "/opt/app/server", .snapshots = 3, .labels = {{"cycle", 3}}});
    report.not_judged.push_back({.pid = 42, .start_ns = 7, .label = "cycle", .reason = "3 'cycle' snapshots; growth needs at least 4"});
    report.not_judged.push_back({.pid = 0, .start_ns = 0, .label = "reload", .reason = "--label reload matched no snapshot"});
    return report;
}

}  // namespace

// Ten finding types (a passing "no <type>" testcase each) and the two not-judged items.
TEST_CASE("JUnit: each not-judged item is a skipped testcase with its reason") {
    std::string junit = render(reportWithOneShortSeries(), "junit");
    CHECK(junit.find("<testsuites name=\"leakscope\" tests=\"12\" failures=\"0\" errors=\"0\" skipped=\"2\"") != std::string::npos);
    CHECK(junit.find("name=\"not judged: &apos;cycle&apos;\" time=\"0\">\n      <skipped message=\"3 &apos;cycle&apos; snapshots; "
                     "growth needs at least 4\"/>") != std::string::npos);
    CHECK(junit.find("<skipped message=\"--label reload matched no snapshot\"/>") != std::string::npos);
    CHECK(junit.find("<testsuite name=\"leakscope: server\"") != std::string::npos);
    CHECK(junit.find("name=\"no growth\"") != std::string::npos);
}

TEST_CASE("text: a report with not-judged items never says a bare clean") {
    Report report = reportWithOneShortSeries();
    report.evidence = true;  // another series was judged: "clean where judged"
    std::string text = render(report, "text");
    CHECK(text.rfind("leakscope: clean where judged", 0) == 0);
    CHECK(text.find("verdict:     clean where judged") != std::string::npos);
    CHECK(text.find("not judged:  2\n  - pid 42 'cycle' 3 'cycle' snapshots; growth needs at least 4\n  - 'reload' --label reload matched no snapshot\n") !=
          std::string::npos);
}
