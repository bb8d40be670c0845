// The HTML report (--format html) of a synthetic run written to disk and loaded as `report` would:
// it plots the leak, names its function and file:line, escapes what it prints and loads nothing.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "SyntheticRun.h"
#include "core/Gate.h"
#include "core/ReportBuilder.h"
#include "formats/HtmlText.h"
#include "formats/ReportFormatter.h"
#include "formats/SvgGrowthPlot.h"

using namespace leakscope::analyzer;

namespace {

// writeLeakySeries (8 cycles + exit) in a private directory, loaded and gated with the defaults.
Report leakyRunReport() {
    char dir_template[] = "/tmp/leakscope-html-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template;
    leakscope::testing::writeLeakySeries(dir, 41, 8);
    auto set = loadSnapshotSet({dir});
    std::filesystem::remove_all(dir);
    REQUIRE(set.ok());
    Symbolizer symbolizer;
    Report report = buildReport(*set, {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    return report;
}

std::string renderHtml(const Report& report) {
    std::ostringstream out;
    auto formatter = makeFormatter("html");
    REQUIRE(formatter != nullptr);
    formatter->write(report, out, {});
    return out.str();
}

void checkAbsent(const std::string& page, std::initializer_list<const char*> needles) {
    for (const char* needle : needles) {
        INFO("must not appear: " << needle);
        CHECK(page.find(needle) == std::string::npos);
    }
}

size_t occurrences(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

}  // namespace

TEST_CASE("the HTML report plots the leak and shows its function, file:line and module") {
    Report report = leakyRunReport();
    REQUIRE(report.leak);
    std::string page = renderHtml(report);

    CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(page.find("</html>") != std::string::npos);
    CHECK(page.find("LEAK") != std::string::npos);
    // One plot per growth finding (memory and socket), each with its line.
    CHECK(occurrences(page, "<svg class=\"growth-plot\"") == 2);
    CHECK(occurrences(page, "<polyline class=\"growth-line\"") == 2);
    CHECK(page.find("warm-up") != std::string::npos);
    CHECK(page.find("live bytes") != std::string::npos);
    CHECK(page.find("live sockets") != std::string::npos);
    CHECK(page.find("+384 B") != std::string::npos);  // 3 blocks of 128 B per cycle
    CHECK(page.find("synthetic_leaky_function") != std::string::npos);
    CHECK(page.find("synthetic_socket_opener") != std::string::npos);
    CHECK(std::regex_search(page, std::regex(R"(SyntheticRun\.cpp:[0-9]+)")));
    // The other sections of the synthetic run: leaked sockets, the close(-1), memory live at exit.
    CHECK(page.find("id=\"leaked-handles\"") != std::string::npos);
    CHECK(page.find("id=\"invalid-fd-closes\"") != std::string::npos);
    CHECK(page.find("id=\"exit-leaks\"") != std::string::npos);
}

TEST_CASE("the HTML report loads nothing: no URLs, scripts, links or images") {
    checkAbsent(renderHtml(leakyRunReport()), {"http://", "https://", "<script", "<link", "<img", "url(", "@import"});
}

TEST_CASE("the HTML report escapes function names, paths and details") {
    Report report;
    report.leak = true;
    report.processes.push_back({1, 0, "/opt/a&b/<prog>", 4, {{"cycle", 3}, {"exit", 1}}});
    Finding growth;
    growth.type = kGrowth;
    growth.resource = "memory";
    growth.label = "cy'cle";
    growth.gating = true;
    growth.series_count = {1, 2, 3, 4};
    growth.series_bytes = {10, 20, 30, 40};
    growth.warmup = 1;
    growth.stack = {SymbolizedFrame{0x1000, "std::vector<int, Pool<&arena>>::push_back(int&&)", "/src/<gen>.h", 7, "libx.so", true, true}};
    Finding handle;
    handle.type = kLeakedHandle;
    handle.resource = "handle";
    handle.handle_kind = "file";
    handle.handle_details = "/tmp/\"quoted\" <name>";
    handle.fd = 5;
    report.findings = {growth, handle};

    std::string page = renderHtml(report);
    for (const char* escaped : {"std::vector&lt;int, Pool&lt;&amp;arena&gt;&gt;::push_back(int&amp;&amp;)", "&lt;gen&gt;.h:7",
                                "/opt/a&amp;b/&lt;prog&gt;", "/tmp/&quot;quoted&quot; &lt;name&gt;", "cy&#39;cle", "inlined"}) {
        INFO("expected: " << escaped);
        CHECK(page.find(escaped) != std::string::npos);
    }
    // Nothing from the report reaches the page unescaped.
    checkAbsent(page, {"<int", "<gen>", "<prog>", "<name>"});
}

TEST_CASE("a clean report says so") {
    Report report;
    report.processes.push_back({3, 0, "/bin/true", 2, {{"exit", 1}}});
    report.evidence = true;  // growth was judged somewhere
    std::string page = renderHtml(report);
    CHECK(page.find("CLEAN") != std::string::npos);
    CHECK(page.find("No findings") != std::string::npos);
    CHECK(page.find("<svg") == std::string::npos);
}

TEST_CASE("a report without evidence is NOT JUDGED, never CLEAN, and lists what was not judged") {
    Report report;
    report.processes.push_back({3, 0, "/bin/true", 1, {{"exit", 1}}});
    report.not_judged.push_back({3, 0, "", "no lifecycle snapshots (labels: exit x1)"});
    std::string page = renderHtml(report);
    CHECK(page.find("NOT JUDGED") != std::string::npos);
    CHECK(page.find("CLEAN") == std::string::npos);
    CHECK(page.find("No findings") == std::string::npos);
    CHECK(page.find("growth not judged: pid 3: no lifecycle snapshots") != std::string::npos);
}

TEST_CASE("the growth plot shades the warm-up, marks a late onset and has a point per snapshot") {
    Finding f;
    f.type = kGrowth;
    f.resource = "memory";
    f.label = "cycle";
    f.warmup = 2;
    f.onset_cycle = 4;
    f.series_count = {5, 5, 5, 5, 6, 7, 8};
    f.series_bytes = {5 << 20, 5 << 20, 5 << 20, 5 << 20, (5 << 20) + 4096, (5 << 20) + 8192, (5 << 20) + 12288};
    std::string svg = html::svgGrowthPlot(f);
    CHECK(occurrences(svg, "<circle") == 7);
    CHECK(svg.find("class=\"warmup\"") != std::string::npos);
    CHECK(svg.find("class=\"onset\"") != std::string::npos);
    // The axis hugs the data (MiB with decimals), so 4 KiB per cycle on 5 MiB still rises visibly.
    CHECK(svg.find("MiB</text>") != std::string::npos);
    CHECK(svg.find(">0 MiB<") == std::string::npos);

    f.series_bytes.clear();
    f.series_count.clear();
    CHECK(html::svgGrowthPlot(f).empty());
}

TEST_CASE("numbers read at a glance") {
    CHECK(html::formatCount(1234567) == "1,234,567");
    CHECK(html::formatCount(1.5) == "1.5");
    CHECK(html::formatCount(-2) == "-2");
    CHECK(html::formatBytes(384) == "384 B");
    CHECK(html::formatBytes(2044) == "2,044 B");
    CHECK(html::formatBytes(1.5 * 1024 * 1024) == "1.5 MiB");
    CHECK(html::escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");
}
