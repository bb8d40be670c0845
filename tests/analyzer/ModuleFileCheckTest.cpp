// A module's recorded file against the file at its path now (core/ModuleFileCheck.h), and what the
// Symbolizer does with the answer: the run's file is symbolized, another file at the same path (a
// rebuild in place, no build-id) is not, and says so in one note; the two are never one module.
#include <catch2/catch.hpp>

#include "SyntheticRun.h"
#include "core/ModuleFileCheck.h"
#include "core/Symbolizer.h"

using namespace leakscope;
using namespace leakscope::analyzer;
using leakscope::testing::selfModule;

namespace {

// This test executable as a snapshot would describe it without a build-id, its file recorded as `file`.
snapshot::Module selfWithoutBuildId(std::optional<snapshot::ModuleFile> file) {
    const auto self = selfModule();
    snapshot::Module module;
    module.path = self.path;
    module.load_bias = self.load_bias;
    module.start = self.start;
    module.end = self.end;
    module.file = file;
    return module;
}

uint64_t callInside(void (*function)()) { return reinterpret_cast<uint64_t>(function) + 1; }  // a return address past its entry

}  // namespace

TEST_CASE("module file difference names the fields that differ", "[unit][symbolize]") {
    const snapshot::ModuleFile run{1000, 5, 2049, 77};
    CHECK(moduleFileDifference(run, run).empty());
    CHECK(moduleFileDifference(run, {1001, 6, 2049, 77}) == "size/mtime differ");
    CHECK(moduleFileDifference(run, {1000, 5, 2049, 78}) == "inode differs");
    CHECK(moduleFileDifference(run, {1000, 6, 2050, 78}) == "mtime/device/inode differ");
    const auto now = currentModuleFile(selfModule().path);
    REQUIRE(now.has_value());
    CHECK(now->size > 0);
    CHECK_FALSE(currentModuleFile("/nonexistent/leakscope-module").has_value());
}

TEST_CASE("a module without a build-id is symbolized only from the file the run loaded", "[unit][symbolize]") {
    const auto now = currentModuleFile(selfModule().path);
    REQUIRE(now.has_value());
    snapshot::ModuleFile rebuilt = *now;
    rebuilt.size += 1;
    rebuilt.mtime_ns -= 1'000'000'000;
    const std::vector<snapshot::Module> same{selfWithoutBuildId(*now)};
    const std::vector<snapshot::Module> other{selfWithoutBuildId(rebuilt)};
    const std::vector<snapshot::Module> unrecorded{selfWithoutBuildId(std::nullopt)};
    const uint64_t address = callInside(leakscope::testing::synthetic_leaky_function);

    Symbolizer symbolizer;  // one for all three: the same path with other files must be other modules
    const auto named = symbolizer.symbolizeAddress(same, address, true);
    REQUIRE_FALSE(named.empty());
    CHECK(named.back().function == "synthetic_leaky_function");
    CHECK_FALSE(named.back().stale);
    // An older snapshot (no file recorded) trusts the path, as before version 3.
    CHECK(symbolizer.symbolizeAddress(unrecorded, address, true).back().function == "synthetic_leaky_function");
    CHECK(symbolizer.changedModuleNotes().empty());

    const auto stale = symbolizer.symbolizeAddress(other, address, true);
    REQUIRE(stale.size() == 1);
    CHECK(stale[0].stale);
    CHECK_FALSE(stale[0].known);
    CHECK(stale[0].function.starts_with(moduleBasename(selfModule().path) + "+0x"));
    symbolizer.symbolizeAddress(other, callInside(leakscope::testing::synthetic_cache_function), true);
    symbolizer.symbolizeAddress(other, address, true);  // the same frame again: counted once
    const auto notes = symbolizer.changedModuleNotes();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] == selfModule().path + " changed after the run (size/mtime differ): its 2 frames are shown unsymbolized");
    // And the run's own file is still named after the rebuilt one was met.
    CHECK(symbolizer.symbolizeAddress(same, address, true).back().function == "synthetic_leaky_function");
}
