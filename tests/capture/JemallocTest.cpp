// Programs that allocate through jemalloc's extended API (mallocx, rallocx, xallocx, sdallocx,
// dallocx), through C23's sized frees, through C++ operator new/delete (libstdc++'s, jemalloc's and
// tcmalloc's own), or under a user's LD_PRELOAD of jemalloc, run under the real
// preload (`leakscope run`): the leak is found with its function and bytes per cycle, the fixed
// variant passes the gate without a bad free, and a program without jemalloc sees no jemalloc symbol.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "Skip.h"
#include "ToolRun.h"

using namespace leakscope::testing;
using nlohmann::json;

namespace {

#ifdef LEAKSCOPE_JEMALLOC_RUNTIME
const char* const kJemallocCycles = LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_CYCLES;
const char* const kJemallocRuntime = LEAKSCOPE_JEMALLOC_RUNTIME;
#else
const char* const kJemallocCycles = nullptr;
const char* const kJemallocRuntime = nullptr;
#endif

void requireJemalloc() {
    if (!kJemallocCycles) SKIP_TEST("jemalloc is not installed (Debian: libjemalloc-dev; scripts/setup installs it)");
}

// Bytes per cycle of the memory growth whose headline is `function`; -1 when there is none.
int64_t growthBytesPerCycle(const json& report, const std::string& function) {
    for (const auto& finding : findingsOfType(report, "growth"))
        if (finding.value("resource", "") == "memory" && topFunction(finding) == function)
            return finding.value("bytes_per_cycle", int64_t{0});
    return -1;
}

// Allocations and frees the hooks counted, from the last snapshot's counters.
json lastCounters(const ToolRun& run) {
    REQUIRE_FALSE(run.snapshots().empty());
    return showSnapshot(run.snapshots().back())["counters"];
}

// `leakscope run --check` of jemalloc_cycles MODE, which must exit with `gate` (1: growth found).
ToolRun checkJemallocCycles(const TemporaryDirectory& directory, const char* mode, int gate) {
    requireJemalloc();
    ToolRun run = runUnderTool(directory.path(), {kJemallocCycles, mode}, {"--check"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == gate);
    CHECK(run.report["not_judged"].empty());
    CHECK(findingsOfType(run.report, "bad_free").empty());
    return run;
}

}  // namespace

TEST_CASE("a mallocx leak per cycle is growth named by its function, and frees of mallocx blocks are valid",
          "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ToolRun run = checkJemallocCycles(directory, "mallocx_leak", 1);
    CHECK(growthBytesPerCycle(run.report, "leak_mallocx") == 96);
    CHECK(findingsOfType(run.report, "growth").size() == 1);  // churn's blocks were all freed
    // free(), sdallocx and dallocx of the churned blocks were seen: 4 frees per cycle.
    CHECK(lastCounters(run).value("frees", 0) >= 48);
}

TEST_CASE("the fixed variant frees through sdallocx, dallocx and free: a clean gate, no bad free",
          "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ToolRun run = checkJemallocCycles(directory, "fixed", 0);
    CHECK(findingsOfType(run.report, "growth").empty());
    const json counters = lastCounters(run);  // evidence: the hooks saw the mallocx blocks come and go
    CHECK(counters.value("allocations", 0) >= 48);
    CHECK(counters.value("frees", 0) >= 48);
}

TEST_CASE("rallocx growth is tracked with the resized sizes", "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ToolRun run = checkJemallocCycles(directory, "rallocx", 1);
    CHECK(growthBytesPerCycle(run.report, "leak_rallocx") == 200);  // mallocx(32) resized to 200, leaked
    CHECK(growthBytesPerCycle(run.report, "grow_rallocx") == 64);   // one block, 64 B more each cycle
}

TEST_CASE("xallocx resizes in place: the block is recorded at its new size, a failed resize keeps the old",
          "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ToolRun run = checkJemallocCycles(directory, "xallocx", 1);
    CHECK(growthBytesPerCycle(run.report, "leak_xallocx") == 110);
    // The failed xallocx leaves the mallocx(48) block, recorded at the mallocx call.
    CHECK(growthBytesPerCycle(run.report, "leak_xallocx_failed") == 48);
}

TEST_CASE("a program without jemalloc sees no jemalloc symbol under the preload", "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ProcessResult plain = runProcess({LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_PROBE});
    REQUIRE(plain.exit_code == 0);
    CHECK(plain.out.find("dlsym mallocx: absent") != std::string::npos);
    CHECK(plain.out.find("weak mallocx: absent") != std::string::npos);
    const ProcessResult preloaded = runWithPreload(directory.path(), {LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_PROBE});
    CHECK(preloaded.exit_code == 0);
    CHECK(preloaded.out == plain.out);  // dlsym and the weak reference answer as without the tool
    CHECK(preloaded.err == plain.err);
}

TEST_CASE("a user's LD_PRELOAD of jemalloc: leakscope run puts itself first and tracks malloc and mallocx",
          "[capture][jemalloc]") {
    requireJemalloc();
    TemporaryDirectory directory;
    ProcessOptions options;
    options.set_env["LD_PRELOAD"] = kJemallocRuntime;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_PROBE, "leak"},
                                     {"--check"}, options);
    INFO("leakscope run stderr: " << run.process.err);
    // The program runs on jemalloc (mallctl comes only from it) and finds its mallocx through dlsym.
    CHECK(run.process.out.find("dlsym mallctl: present") != std::string::npos);
    CHECK(run.process.out.find("dlsym mallocx: present") != std::string::npos);
    CHECK(run.process.exit_code == 1);
    CHECK(growthBytesPerCycle(run.report, "leak_malloc") == 40);
    CHECK(growthBytesPerCycle(run.report, "leak_mallocx_found") == 24);
    CHECK(findingsOfType(run.report, "bad_free").empty());
}

TEST_CASE("free_sized and free_aligned_sized from a library are tracked as frees: a clean gate",
          "[capture][jemalloc]") {
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), {LEAKSCOPE_TARGET_CAPTUREPROG_SIZED_FREE_USER}, {"--check"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    // The library releases through __libc_free, not free(): a missed free_sized would read as growth.
    CHECK(run.process.exit_code == 0);
    CHECK(findingsOfType(run.report, "growth").empty());
    CHECK(findingsOfType(run.report, "bad_free").empty());
    CHECK(run.report["not_judged"].empty());
    CHECK(lastCounters(run).value("frees", 0) >= 24);
}

namespace {

#ifdef LEAKSCOPE_JEMALLOC_RUNTIME
const char* const kCxxNewJemalloc = LEAKSCOPE_TARGET_CAPTUREPROG_CXX_NEW_CYCLES_JEMALLOC;
#else
const char* const kCxxNewJemalloc = nullptr;
#endif

// `leakscope run --check` of a cxx_new_cycles build: the leak (40 B per cycle in leak_new) is found
// once, or the fixed variant passes the gate; never a bad free, and the program's output is its own.
void checkCxxNewCycles(const char* program, const ProcessOptions& options = {}) {
    TemporaryDirectory leaking;
    const ToolRun leak = runUnderTool(leaking.path(), {program, "new_leak"}, {"--check"}, options);
    INFO("leakscope run stderr: " << leak.process.err);
    REQUIRE(leak.report.is_object());
    CHECK(leak.process.exit_code == 1);
    CHECK(growthBytesPerCycle(leak.report, "leak_new") == 40);  // once: no second record through malloc
    CHECK(findingsOfType(leak.report, "growth").size() == 1);     // every churned form was deleted
    CHECK(findingsOfType(leak.report, "bad_free").empty());
    CHECK(leak.report["not_judged"].empty());
    CHECK(leak.process.out.find("cycle 11\n") != std::string::npos);  // bad_alloc caught, NULL from nothrow

    TemporaryDirectory clean;
    const ToolRun fixed = runUnderTool(clean.path(), {program, "fixed"}, {"--check"}, options);
    INFO("leakscope run stderr: " << fixed.process.err);
    REQUIRE(fixed.report.is_object());
    CHECK(fixed.process.exit_code == 0);
    CHECK(findingsOfType(fixed.report, "growth").empty());
    CHECK(findingsOfType(fixed.report, "bad_free").empty());
    CHECK(fixed.report["not_judged"].empty());
    // Evidence the news were seen: 7 blocks per cycle (leak_new's and churn's six), as many deletes.
    const json counters = lastCounters(fixed);
    CHECK(counters.value("allocations", 0) >= 7 * 12);
    CHECK(counters.value("frees", 0) >= 7 * 12);
}

}  // namespace

TEST_CASE("C++ new on jemalloc's own operator new (-ljemalloc): the leak is growth, the fixed variant clean",
          "[capture][jemalloc][cxx]") {
    requireJemalloc();
    checkCxxNewCycles(kCxxNewJemalloc);
}

TEST_CASE("C++ new on libstdc++ (through malloc): the leak is counted once, the fixed variant clean",
          "[capture][cxx]") {
    checkCxxNewCycles(LEAKSCOPE_TARGET_CAPTUREPROG_CXX_NEW_CYCLES);
}

TEST_CASE("C++ new of a libstdc++ program under a user's LD_PRELOAD of jemalloc is jemalloc's, and tracked",
          "[capture][jemalloc][cxx]") {
    requireJemalloc();
    ProcessOptions options;
    options.set_env["LD_PRELOAD"] = kJemallocRuntime;
    checkCxxNewCycles(LEAKSCOPE_TARGET_CAPTUREPROG_CXX_NEW_CYCLES, options);
}

TEST_CASE("C++ new of a libstdc++ program under a user's LD_PRELOAD of tcmalloc is tcmalloc's, and tracked",
          "[capture][cxx]") {
#ifdef LEAKSCOPE_TCMALLOC_RUNTIME
    ProcessOptions options;
    options.set_env["LD_PRELOAD"] = LEAKSCOPE_TCMALLOC_RUNTIME;
    checkCxxNewCycles(LEAKSCOPE_TARGET_CAPTUREPROG_CXX_NEW_CYCLES, options);
#else
    SKIP_TEST("tcmalloc is not installed (Debian: libtcmalloc-minimal4; scripts/setup installs it)");
#endif
}

TEST_CASE("C++ new in a module a C program dlopens with RTLD_LOCAL: its libstdc++ is found, the leak counted once",
          "[capture][cxx]") {
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(
        directory.path(), {LEAKSCOPE_TARGET_CAPTUREPROG_CXX_MODULE_HOST, LEAKSCOPE_TARGET_CAPTUREPROG_CXX_MODULE},
        {"--check"});
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.exit_code == 1);
    CHECK(growthBytesPerCycle(run.report, "module_leak") == 40);
    CHECK(findingsOfType(run.report, "growth").size() == 1);
    CHECK(findingsOfType(run.report, "bad_free").empty());
    CHECK(run.process.out.find("cycle 11: 100\n") != std::string::npos);
}

TEST_CASE("a C++ program prints and exits the same with and without the preload", "[capture][cxx]") {
    for (const char* program : {LEAKSCOPE_TARGET_CAPTUREPROG_CXX_NEW_CYCLES, kCxxNewJemalloc}) {
        if (!program) continue;  // the jemalloc build needs libjemalloc-dev; its other cases say SKIPPED
        INFO(program);
        TemporaryDirectory directory;
        const ProcessResult plain = runProcess({program, "new_leak"});
        REQUIRE(plain.exit_code == 0);
        const ProcessResult preloaded = runWithPreload(directory.path(), {program, "new_leak"});
        CHECK(preloaded.exit_code == plain.exit_code);
        CHECK(preloaded.out == plain.out);
        CHECK(preloaded.err == plain.err);
    }
}

// Bind-now users of jemalloc (issue 16): libleakscope.so exports none of jemalloc's names, and the
// slots for them are redirected at start and after a dlopen (preload/relocation/OptionalHooks.h).
namespace {

#ifdef LEAKSCOPE_JEMALLOC_RUNTIME
const char* const kBindNow = LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_BINDNOW;
const char* const kBindNowLibrary = LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_BINDNOW_LIB;
const char* const kDlopenHost = LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_DLOPEN_HOST;
const char* const kOwnMallocx = LEAKSCOPE_TARGET_CAPTUREPROG_JEMALLOC_OWN_MALLOCX;
#else
const char* const kBindNow = nullptr;
const char* const kBindNowLibrary = nullptr;
const char* const kDlopenHost = nullptr;
const char* const kOwnMallocx = nullptr;
#endif

// The environments the bind-now cases run in: as linked, and with every library bound eagerly.
std::vector<ProcessOptions> bindingVariants() {
    ProcessOptions eager;
    eager.set_env["LD_BIND_NOW"] = "1";
    return {ProcessOptions{}, eager};
}

// The program under the preload prints, writes on stderr and exits exactly as a plain run.
void requireSameAsPlainRun(const std::vector<std::string>& program, const ProcessOptions& options) {
    TemporaryDirectory directory;
    const ProcessResult plain = runProcess(program, options);
    const ProcessResult preloaded = runWithPreload(directory.path(), program, options);
    CHECK(plain.exit_code == 0);
    CHECK(preloaded.exit_code == plain.exit_code);
    CHECK(preloaded.out == plain.out);
    CHECK(preloaded.err == plain.err);
    CHECK(preloaded.err.find("Relink") == std::string::npos);
}

}  // namespace

TEST_CASE("a bind-now program and library on jemalloc print and exit as in a plain run (no Relink line)",
          "[capture][jemalloc]") {
    requireJemalloc();
    for (const ProcessOptions& options : bindingVariants()) {
        INFO("LD_BIND_NOW set: " << options.set_env.count("LD_BIND_NOW"));
        requireSameAsPlainRun({kBindNow}, options);
    }
}

TEST_CASE("mallocx leaks of a bind-now program and its bind-now library are growth named by their functions",
          "[capture][jemalloc]") {
    requireJemalloc();
    for (const ProcessOptions& options : bindingVariants()) {
        INFO("LD_BIND_NOW set: " << options.set_env.count("LD_BIND_NOW"));
        TemporaryDirectory directory;
        const ToolRun run = runUnderTool(directory.path(), {kBindNow}, {"--check"}, options);
        INFO("leakscope run stderr: " << run.process.err);
        REQUIRE(run.report.is_object());
        CHECK(run.process.exit_code == 1);
        CHECK(run.process.err.find("Relink") == std::string::npos);
        CHECK(growthBytesPerCycle(run.report, "main_leak_mallocx") == 80);  // the program's PLT slot
        CHECK(growthBytesPerCycle(run.report, "lib_leak_mallocx") == 64);   // the library's PLT slot
        // The library's GLOB_DAT slot (16 B) and its function pointer in data (32 B).
        CHECK(growthBytesPerCycle(run.report, "lib_leak_through_pointer") == 48);
        CHECK(findingsOfType(run.report, "growth").size() == 3);  // lib_churn's blocks were all freed
        CHECK(findingsOfType(run.report, "bad_free").empty());
        CHECK(run.report["not_judged"].empty());
    }
}

TEST_CASE("jemalloc dlopened later: its users' mallocx and dlsym's mallocx are tracked, the output unchanged",
          "[capture][jemalloc]") {
    requireJemalloc();
    const std::vector<std::string> program{kDlopenHost, kBindNowLibrary};
    // Debian's libjemalloc uses initial-exec TLS: a dlopen needs room in the static TLS block, plain
    // or preloaded ("cannot allocate memory in static TLS block" with glibc's default 512 bytes).
    ProcessOptions options;
    options.set_env["GLIBC_TUNABLES"] = "glibc.rtld.optional_static_tls=65536";
    requireSameAsPlainRun(program, options);
    TemporaryDirectory directory;
    const ToolRun run = runUnderTool(directory.path(), program, {"--check"}, options);
    INFO("leakscope run stderr: " << run.process.err);
    REQUIRE(run.report.is_object());
    CHECK(run.process.out.find("before: dlsym mallocx absent\n") != std::string::npos);
    CHECK(run.process.out.find("after: dlsym mallocx present\n") != std::string::npos);
    CHECK(run.process.exit_code == 1);
    CHECK(growthBytesPerCycle(run.report, "lib_leak_mallocx") == 64);
    CHECK(growthBytesPerCycle(run.report, "lib_leak_through_pointer") == 48);
    CHECK(growthBytesPerCycle(run.report, "leak_mallocx_found") == 24);  // dlsym answered the hook
    CHECK(findingsOfType(run.report, "growth").size() == 3);
    CHECK(findingsOfType(run.report, "bad_free").empty());
}

TEST_CASE("a program that defines mallocx itself keeps its own: its library's calls reach it as in a plain run",
          "[capture][jemalloc]") {
    requireJemalloc();
    for (const ProcessOptions& options : bindingVariants()) {
        INFO("LD_BIND_NOW set: " << options.set_env.count("LD_BIND_NOW"));
        requireSameAsPlainRun({kOwnMallocx}, options);  // "own mallocx calls: 18", exit 0
    }
}

TEST_CASE("dlopen of a bare name (the program's RUNPATH) and of a $ORIGIN name loads as in a plain run",
          "[capture]") {
    // Run from another directory: neither name is found relative to the working directory.
    TemporaryDirectory elsewhere;
    ProcessOptions options;
    options.working_directory = elsewhere.path();
    const std::string plugin = std::filesystem::path(LEAKSCOPE_TARGET_CAPTUREPROG_PLUGIN).filename().string();
    const std::vector<std::string> program{LEAKSCOPE_TARGET_CAPTUREPROG_DLOPEN_SEARCH, plugin, "$ORIGIN/" + plugin};
    const ProcessResult plain = runProcess(program, options);
    REQUIRE(plain.out == plugin + ": loaded\n$ORIGIN/" + plugin + ": loaded\n");  // the case is meaningful
    requireSameAsPlainRun(program, options);
}

TEST_CASE("dlopen through the preload's entry: NOLOAD, NULL and failures answer as a plain run, dlerror() too",
          "[capture]") {
    TemporaryDirectory elsewhere;
    ProcessOptions options;
    options.working_directory = elsewhere.path();
    const std::string plugin = std::filesystem::path(LEAKSCOPE_TARGET_CAPTUREPROG_PLUGIN).filename().string();
    // Not loaded yet, then loaded by a bare name (the RUNPATH), then known to NOLOAD; the main
    // program; a bare name and a path that exist nowhere (a call from the preload, whose dlerror()
    // text must not differ).
    const std::vector<std::string> program{LEAKSCOPE_TARGET_CAPTUREPROG_DLOPEN_SEARCH, "noload:" + plugin, plugin,
                                           "noload:" + plugin, "null", "noload:null", "libleakscope-nowhere.so",
                                           "/nonexistent/libleakscope-nowhere.so"};
    const ProcessResult plain = runProcess(program, options);
    INFO("plain stdout:\n" << plain.out);
    REQUIRE(plain.out.find("noload:" + plugin + ": not found: ") == 0);  // the case is meaningful
    REQUIRE(plain.out.find(plugin + ": loaded\nnoload:" + plugin + ": loaded\n") != std::string::npos);
    REQUIRE(plain.out.find("/nonexistent/libleakscope-nowhere.so: not found: /nonexistent/") != std::string::npos);
    for (const ProcessOptions& variant : bindingVariants()) {
        ProcessOptions both = variant;
        both.working_directory = elsewhere.path();
        requireSameAsPlainRun(program, both);
    }
}

TEST_CASE("a library with a text relocation against dlopen runs as in a plain run (its code is not patched)",
          "[capture]") {
    const std::vector<std::string> program{LEAKSCOPE_TARGET_CAPTUREPROG_TEXTREL_USER};
    REQUIRE(runProcess(program).out == "dlopen(NULL) through the text word: the program's handle\n");
    for (const ProcessOptions& options : bindingVariants()) {
        INFO("LD_BIND_NOW set: " << options.set_env.count("LD_BIND_NOW"));
        requireSameAsPlainRun(program, options);  // was: SIGSEGV in the preload's constructor
    }
}
