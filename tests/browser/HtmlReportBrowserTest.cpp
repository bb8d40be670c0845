// The HTML report as people see it: the flagship target (algo_pipeline, buggy variant) runs under the
// real tool with --format html, and Debian's headless chromium opens the page twice: --dump-dom to
// check what it rendered (the leaking function, a growth plot with its line), --screenshot to keep a
// picture under the build tree (tests/browser/html-report.png). No chromium: exit 77, which CTest
// reports as skipped (SKIP_RETURN_CODE), never as a silent pass.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>

#include "ProcessRunner.h"
#include "ToolRun.h"

using namespace leakscope::testing;

namespace {

constexpr int kSkip = 77;
const std::string kOutputDir = LEAKSCOPE_BROWSER_OUTPUT_DIR;

// $LEAKSCOPE_CHROMIUM, else Debian's launcher.
std::string chromiumPath() {
    const char* path = std::getenv("LEAKSCOPE_CHROMIUM");
    return path && *path ? path : "/usr/bin/chromium";
}

// Headless chromium with a fresh profile and nothing that talks to the network (no sync, updates,
// QUIC or background fetches): the page must render from the file alone. `timeout` bounds a browser
// that hangs at start-up; ProcessRunner's own limit is the backstop.
ProcessResult runChromium(const std::string& profile_dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"timeout", "-k", "10", "120", chromiumPath(), "--headless", "--no-sandbox",
                                     "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                                     "--user-data-dir=" + profile_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.timeout = std::chrono::seconds(180);
    return runProcess(argv, options);
}

// Width and height from a PNG's IHDR chunk, {0, 0} when the bytes are not a PNG.
std::pair<uint32_t, uint32_t> pngSize(const std::string& bytes) {
    static const std::string kSignature = "\x89PNG\r\n\x1a\n";
    if (bytes.size() < 24 || bytes.compare(0, 8, kSignature) != 0 || bytes.compare(12, 4, "IHDR") != 0) return {0, 0};
    auto be32 = [&](size_t at) {
        uint32_t value = 0;
        for (size_t i = 0; i < 4; ++i) value = value << 8 | uint8_t(bytes[at + i]);
        return value;
    };
    return {be32(16), be32(20)};
}

}  // namespace

TEST_CASE("the HTML report of the flagship leak renders in headless chromium, with its growth plot, icicle and source links",
          "[browser]") {
    if (access(chromiumPath().c_str(), X_OK) != 0) {
        std::cout << "SKIPPED: " << chromiumPath() << " not found; install it with scripts/setup browser\n";
        std::exit(kSkip);
    }
    TemporaryDirectory dir;
    const std::string page = kOutputDir + "/html-report.html";
    const std::string screenshot = kOutputDir + "/html-report.png";
    std::filesystem::remove(page);
    std::filesystem::remove(screenshot);

    ToolRun run = runUnderTool(dir.path(), {LEAKSCOPE_TARGET_ALGO_PIPELINE, "--cycles", "6", "--variant", "buggy"},
                               {"--format", "html", "--output", page, "--source-url", "https://example.invalid/src/{path}#L{line}"});
    INFO("leakscope run stderr:\n" << run.process.err);
    REQUIRE(run.process.exit_code == 0);
    REQUIRE(run.report.value("verdict", "") == "leak");
    REQUIRE(std::filesystem::exists(page));

    ProcessResult dom = runChromium(dir.path() + "/profile-dom", {"--dump-dom", "file://" + page});
    INFO("chromium --dump-dom exit " << dom.exit_code << ", stderr:\n" << dom.err);
    REQUIRE(dom.exit_code == 0);
    CHECK(dom.out.find("LEAK") != std::string::npos);
    CHECK(dom.out.find("afe_nlms_create_from_config") != std::string::npos);
    CHECK(std::regex_search(dom.out, std::regex(R"(afe_nlms\.c:[0-9]+)")));
    // The rendered plot: an svg whose growth line has one x,y point per 'cycle' snapshot (6).
    CHECK(dom.out.find("<svg class=\"growth-plot\"") != std::string::npos);
    // Growth by call path (icicle): boxes down to the leaking function, named in a box's tooltip.
    auto icicle_at = dom.out.find("<svg class=\"icicle\"");
    REQUIRE(icicle_at != std::string::npos);
    std::string icicle = dom.out.substr(icicle_at, dom.out.find("</svg>", icicle_at) - icicle_at);
    CHECK(icicle.find("<rect") != std::string::npos);
    CHECK(std::regex_search(icicle, std::regex(R"(<title>[^<]*afe_nlms_create_from_config)")));
    // --source-url links each location to the template with the file's path and line.
    CHECK(std::regex_search(dom.out, std::regex(R"re(href="https://example\.invalid/src/[^"]*afe_nlms\.c#L[0-9]+")re")));
    std::smatch line;
    REQUIRE(std::regex_search(dom.out, line, std::regex(R"re(<polyline class="growth-line" points="([^"]*)")re")));
    const std::string points = line[1];
    const std::regex point(R"([0-9.]+,[0-9.]+)");
    CHECK(std::distance(std::sregex_iterator(points.begin(), points.end(), point), std::sregex_iterator()) == 6);

    ProcessResult shot = runChromium(dir.path() + "/profile-shot",
                                     {"--screenshot=" + screenshot, "--window-size=1280,2000", "file://" + page});
    INFO("chromium --screenshot exit " << shot.exit_code << ", stderr:\n" << shot.err);
    REQUIRE(shot.exit_code == 0);
    REQUIRE(std::filesystem::exists(screenshot));
    std::string png = readFile(screenshot);
    auto [width, height] = pngSize(png);
    CHECK(width == 1280);
    CHECK(height == 2000);
    // A blank 1280x2000 page compresses to a few KB; the rendered report (text, plots) is far larger.
    CHECK(png.size() > 40 * 1024);
    std::cout << "screenshot: " << screenshot << " (" << png.size() << " bytes)\npage: " << page << "\n";
}
