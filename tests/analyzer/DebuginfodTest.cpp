// libdw (elfutils 0.187+) dlopens its debuginfod client — libcurl, GnuTLS and the rest — for any module
// without local debug info, even when no server is configured; `leakscope report` refuses that load
// when DEBUGINFOD_URLS is unset or empty and keeps it when a server is named (analyzer/DebuginfodGate.cpp).
// Observed through the dynamic loader's own trace (LD_DEBUG=libs) of real reports of a real run of a
// program built without debug info; the findings must be the same either way.
#include <catch2/catch.hpp>
#include <dlfcn.h>

#include <filesystem>
#include <optional>
#include <string>

#include "Skip.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

struct TracedReport {
    ProcessResult process;
    json report;
    bool loaded_debuginfod = false;  // the loader's trace names libdebuginfod
};

// `leakscope report --no-cache --format json SNAPSHOTS` with DEBUGINFOD_URLS unset (nullopt) or set, its
// library loads traced by the dynamic loader into DIR/ld-NAME.<pid>.
TracedReport tracedReport(const std::string& dir, const std::string& name, const std::optional<std::string>& urls) {
    ProcessOptions options;
    if (urls)
        options.set_env["DEBUGINFOD_URLS"] = *urls;
    else
        options.unset_env.push_back("DEBUGINFOD_URLS");
    options.set_env["DEBUGINFOD_CACHE_PATH"] = dir + "/debuginfod-cache";  // never the user's cache
    options.set_env["DEBUGINFOD_TIMEOUT"] = "5";
    options.set_env["LD_DEBUG"] = "libs";
    options.set_env["LD_DEBUG_OUTPUT"] = dir + "/ld-" + name;
    TracedReport traced;
    traced.process = runAnalyzer({"report", "--no-cache", "--format", "json", dir + "/snapshots"}, options);
    if (traced.process.exit_code == 0) traced.report = json::parse(traced.process.out);
    bool traced_any = false;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.path().filename().string().starts_with("ld-" + name + ".")) continue;
        traced_any = true;
        if (readFile(entry.path().string()).find("libdebuginfod") != std::string::npos) traced.loaded_debuginfod = true;
    }
    REQUIRE(traced_any);  // the loader wrote its trace: an absent name is evidence, not a missing file
    return traced;
}

bool namesLeakingFunction(const json& report) {
    for (const auto& finding : findingsOfType(report, "exit_leak"))
        if (stackHasFunction(finding, "leak_without_debug_info")) return true;
    return false;
}

}  // namespace

TEST_CASE("the report loads libdw's debuginfod client only when DEBUGINFOD_URLS names a server", "[analyzer][debuginfod]") {
    // Without the client installed every run would pass for the wrong reason.
    void* client = dlopen("libdebuginfod.so.1", RTLD_LAZY);
    if (!client) SKIP_TEST("libdebuginfod.so.1 is not installed (Debian: libdebuginfod1)");
    dlclose(client);

    TemporaryDirectory dir;
    const ProcessResult run = runWithPreload(dir.path() + "/snapshots", {LEAKSCOPE_TARGET_ANALYZER_NODEBUG_PROGRAM});
    REQUIRE(run.exit_code == 0);

    const TracedReport unset = tracedReport(dir.path(), "unset", std::nullopt);
    const TracedReport empty = tracedReport(dir.path(), "empty", "");
    // A server that refuses the connection at once (port 9, discard, closed): the client is loaded and asked.
    const TracedReport named = tracedReport(dir.path(), "named", "http://127.0.0.1:9");
    for (const TracedReport* traced : {&unset, &empty, &named}) {
        INFO("stderr: " << traced->process.err);
        REQUIRE(traced->process.exit_code == 0);
        CHECK(namesLeakingFunction(traced->report));  // the module without debug info was symbolized
    }
    CHECK_FALSE(unset.loaded_debuginfod);
    CHECK_FALSE(empty.loaded_debuginfod);
    CHECK(named.loaded_debuginfod);
    // Refusing the client changed nothing a server could not have changed.
    CHECK(unset.report["findings"] == named.report["findings"]);
    CHECK(empty.report["findings"] == named.report["findings"]);
}
