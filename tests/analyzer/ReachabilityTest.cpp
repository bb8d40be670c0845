// Reachability in findings (docs/analysis.md, "Reachability in findings"): synthetic snapshot files with
// and without the Reachability section, read by the real reader, analysed by the real report builder.
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "SyntheticRun.h"
#include "core/Gate.h"
#include "core/Reachability.h"
#include "core/ReachabilityEvidence.h"
#include "core/ReportBuilder.h"
#include "formats/ReportFormatter.h"

using namespace leakscope;
using namespace leakscope::analyzer;
using leakscope::testing::syntheticSnapshot;
using Class = snapshot::Reachability;
using Status = FindingReachability::Status;

namespace {

constexpr uint32_t kLeakyStack = 1, kCacheStack = 2;
constexpr uint64_t kBlockBytes = 128;

struct Block {
    uint32_t stack;
    uint64_t sequence;
    uint64_t size;
    Class klass;
};

// One snapshot: `classified` writes the Reachability section, `status` the counter reachability_status.
struct Snap {
    std::string label;
    uint32_t index;
    uint64_t sequence;
    std::vector<Block> blocks;
    bool classified = false;
    uint64_t status = 0;
};

// How the leaky stack's blocks of cycle `cycle` (3 per cycle) are classified in a given snapshot.
using Classifier = std::function<Class(int cycle, int block)>;

// A 'cycle' series of `cycles` snapshots and an exit snapshot: the leaky stack keeps 3 blocks of 128 B
// per cycle (allocated during cycle c: sequences 1000c+1..3), the cache stack 5 blocks of 1000 B from the
// start. `classify_cycles` / `classify_exit` say which snapshots carry classes and which.
std::vector<Snap> leakySeries(int cycles, const Classifier& in_cycles, bool classify_cycles, const Classifier& at_exit,
                              bool classify_exit, bool exit_keeps_leak = true) {
    std::vector<Snap> snaps;
    for (int cycle = 0; cycle <= cycles; ++cycle) {
        const bool is_exit = cycle == cycles;
        Snap snap{is_exit ? "exit" : "cycle", uint32_t(cycle), 1000 * uint64_t(cycle + 1), {}, is_exit ? classify_exit : classify_cycles,
                  (is_exit ? classify_exit : classify_cycles) ? 1u : 0u};
        const Classifier& classify = is_exit ? at_exit : in_cycles;
        if (!is_exit || exit_keeps_leak)
            for (int c = 0; c <= std::min(cycle, cycles - 1); ++c)
                for (int b = 0; b < 3; ++b) snap.blocks.push_back({kLeakyStack, 1000 * uint64_t(c) + 1 + uint64_t(b), kBlockBytes, classify(c, b)});
        for (int entry = 0; entry < 5; ++entry) snap.blocks.push_back({kCacheStack, 10 + uint64_t(entry), 1000, Class::StillReachable});
        snaps.push_back(std::move(snap));
    }
    return snaps;
}

SnapshotSet load(const std::vector<Snap>& snaps) {
    SnapshotSetBuilder set;
    for (const auto& snap : snaps) {
        auto builder = syntheticSnapshot(7, snap.label, snap.sequence, snap.index);
        std::vector<uint8_t> classes;
        for (size_t i = 0; i < snap.blocks.size(); ++i) {
            const auto& block = snap.blocks[i];
            builder.allocation(0x100000 + 0x100 * uint64_t(i), block.size, block.sequence, block.stack);
            classes.push_back(uint8_t(block.klass));
        }
        if (snap.classified) builder.reachability(classes);
        else if (snap.status) builder.reachabilityStatus(snapshot::ReachabilityStatus(snap.status));
        // Through the file format and the real reader.
        auto parsed = snapshot::parseSnapshot(builder.bytes(), snap.label + "-" + std::to_string(snap.index));
        REQUIRE(parsed.ok());
        CHECK(parsed->classified() == snap.classified);
        set.add(std::move(*parsed));
    }
    return set.finish();
}

Report analyse(const std::vector<Snap>& snaps, const GateOptions& gate = {}) {
    Symbolizer symbolizer;
    Report report = buildReport(load(snaps), {}, symbolizer);
    REQUIRE(applyGate(report, gate).ok());
    return report;
}

const Finding& only(const Report& report, const std::string& type, const std::string& resource = "memory") {
    const Finding* found = nullptr;
    for (const auto& f : report.findings)
        if (f.type == type && f.resource == resource) {
            REQUIRE(found == nullptr);
            found = &f;
        }
    REQUIRE(found != nullptr);
    return *found;
}

const Finding* exitLeakOf(const Report& report, const std::string& function) {
    for (const auto& f : report.findings)
        if (f.type == kExitLeak && !f.stack.empty() && f.stack[0].function == function) return &f;
    return nullptr;
}

std::string render(const Report& report, const std::string& format) {
    std::ostringstream out;
    makeFormatter(format)->write(report, out, FormatContext{});
    return out.str();
}

Class always(Class klass, int, int) { return klass; }
Classifier all(Class klass) { return [klass](int c, int b) { return always(klass, c, b); }; }

}  // namespace

TEST_CASE("growth lost at exit: all definitely lost, from the exit snapshot") {
    Report report = analyse(leakySeries(8, all(Class::NotClassified), false, all(Class::DefinitelyLost), true));
    const Finding& growth = only(report, kGrowth);
    CHECK(growth.bytes_per_cycle == 384);
    REQUIRE(growth.reachability.status == Status::Classified);
    CHECK(growth.reachability.snapshot_label == "exit");
    CHECK(growth.reachability.bytes_per_cycle[1] == 384);
    CHECK(reachabilityPhrase(growth) == "all definitely lost");
    CHECK(mostlyLost(growth));
    // The exit leaks carry valgrind's classes per stack: the leak definitely lost, the cache reachable.
    const Finding* cache = exitLeakOf(report, "synthetic_cache_function");
    REQUIRE(cache);
    CHECK(cache->reachability.bytes[4] == 5000);
    CHECK(cache->reachability.blocks[4] == 5);
    CHECK(reachabilityPhrase(*cache) == "all still reachable");
    // Every format says it: the text title and the line naming the snapshot, the HTML card (red: mostly
    // lost) and the overview, the JUnit and SARIF messages.
    std::string text = render(report, "text");
    CHECK(text.find("memory grows by 384 B (3 blocks) per 'cycle' cycle in synthetic_leaky_function — all definitely lost") != std::string::npos);
    CHECK(text.find("reachability: valgrind's classes in the 'exit' snapshot #8") != std::string::npos);
    CHECK(text.find("still hold 8072 B in 29 blocks at exit — 3072 B definitely lost, 5000 B still reachable") != std::string::npos);
    std::string html = render(report, "html");
    CHECK(html.find("<div class=\"stat reach lost\"><div class=\"v\">all definitely lost</div>") != std::string::npos);
    CHECK(html.find("<td class=\"reach\">all definitely lost</td>") != std::string::npos);
    CHECK(render(report, "junit").find("— all definitely lost") != std::string::npos);
    auto sarif = nlohmann::json::parse(render(report, "sarif"));
    CHECK(sarif["runs"][0]["results"][0]["message"]["text"].get<std::string>().find("all definitely lost") != std::string::npos);
}

TEST_CASE("per-cycle classes: the series' last classified snapshot decides, and only blocks since the onset count") {
    // In the cycles: two of each cycle's three blocks lost, one still reachable; the blocks of cycles 0
    // and 1 (warm-up and onset: before the growth began) possibly lost, which must not show. At exit
    // everything is lost (main returned): the lifecycle snapshot is preferred.
    Classifier in_cycles = [](int cycle, int block) {
        if (cycle <= 1) return Class::PossiblyLost;
        return block < 2 ? Class::DefinitelyLost : Class::StillReachable;
    };
    Report report = analyse(leakySeries(10, in_cycles, true, all(Class::DefinitelyLost), true));
    const Finding& growth = only(report, kGrowth);
    REQUIRE(growth.reachability.status == Status::Classified);
    CHECK(growth.reachability.snapshot_label == "cycle");
    CHECK(growth.reachability.snapshot_index == 9);
    CHECK(growth.reachability.bytes[3] == 0);  // nothing from before the onset
    CHECK(growth.reachability.bytes_per_cycle[1] == 256);
    CHECK(growth.reachability.bytes_per_cycle[4] == 128);
    CHECK(reachabilityPhrase(growth) == "256 B definitely lost, 128 B still reachable");
    CHECK(mostlyLost(growth));

    auto json = nlohmann::json::parse(render(report, "json"));
    const auto& reach = json["findings"][0]["reachability"];
    CHECK(reach["status"] == "classified");
    CHECK(reach["snapshot"]["label"] == "cycle");
    CHECK(reach["bytes_per_cycle"]["definitely_lost"] == 256);
    CHECK(reach["bytes_per_cycle"]["still_reachable"] == 128);
    CHECK(reach["count"]["definitely_lost"] == 2 * 8);  // cycles 2..9
    CHECK(reach["mostly_lost"] == true);
}

TEST_CASE("a list that keeps every entry is still reachable, and --fail-on lost lets it pass") {
    auto snaps = leakySeries(8, all(Class::StillReachable), true, all(Class::StillReachable), true);
    Report report = analyse(snaps);
    const Finding& growth = only(report, kGrowth);
    CHECK(reachabilityPhrase(growth) == "all still reachable");
    CHECK_FALSE(mostlyLost(growth));
    CHECK(growth.gating);  // the default gate fails every growth

    GateOptions lost_only;
    lost_only.fail_on = "lost,bad_close,double_close";
    Report gated = analyse(snaps, lost_only);
    CHECK_FALSE(only(gated, kGrowth).gating);
    CHECK_FALSE(gated.leak);

    Report lost = analyse(leakySeries(8, all(Class::IndirectlyLost), true, all(Class::IndirectlyLost), true), lost_only);
    CHECK(only(lost, kGrowth).gating);
    CHECK(only(lost, kGrowth).gate_rule == "--fail-on lost");
}

TEST_CASE("no classified snapshot: reachability not classified, never lost or reachable") {
    auto snaps = leakySeries(8, all(Class::NotClassified), false, all(Class::NotClassified), false);
    GateOptions lost_only;
    lost_only.fail_on = "lost";
    Report report = analyse(snaps, lost_only);
    const Finding& growth = only(report, kGrowth);
    CHECK(growth.reachability.status == Status::NotClassified);
    CHECK(growth.reachability.reason == "no snapshot of this process taken after the growth began was classified");
    CHECK(reachabilityPhrase(growth) == "reachability not classified");
    CHECK_FALSE(growth.gating);  // not evidence of lost memory
    const Finding* cache = exitLeakOf(report, "synthetic_cache_function");
    REQUIRE(cache);
    CHECK(cache->reachability.status == Status::NotClassified);

    auto json = nlohmann::json::parse(render(report, "json"));
    const auto& reach = json["findings"][0]["reachability"];
    CHECK(reach["status"] == "not_classified");
    CHECK_FALSE(reach.contains("bytes"));
    CHECK_FALSE(reach.contains("mostly_lost"));
    CHECK(render(report, "markdown").find("reachability not classified") != std::string::npos);
}

TEST_CASE("a skipped scan is named as the reason") {
    auto snaps = leakySeries(8, all(Class::NotClassified), false, all(Class::NotClassified), false);
    snaps.back().status = 2;  // the exit snapshot's scan would not finish in time
    Report report = analyse(snaps);
    CHECK(only(report, kGrowth).reachability.reason ==
          "the scan of the 'exit' snapshot #8 was skipped (the heap was too large to classify in time)");
    snaps.back().status = 3;
    CHECK(only(analyse(snaps), kGrowth).reachability.reason == "the scan of the 'exit' snapshot #8 could not run");
}

TEST_CASE("blocks allocated while the scan ran are not classified, and say so") {
    Classifier mixed = [](int, int block) { return block == 0 ? Class::NotClassified : Class::DefinitelyLost; };
    Report report = analyse(leakySeries(8, all(Class::NotClassified), false, mixed, true));
    const Finding& growth = only(report, kGrowth);
    CHECK(reachabilityPhrase(growth) == "256 B definitely lost, 128 B not classified");
    CHECK(mostlyLost(growth));  // 2/3 lost
}

TEST_CASE("growth freed before the classified exit snapshot") {
    Report report = analyse(leakySeries(8, all(Class::NotClassified), false, all(Class::DefinitelyLost), true, false));
    const Finding& growth = only(report, kGrowth);
    CHECK(growth.reachability.status == Status::Freed);
    CHECK(reachabilityPhrase(growth) == "freed before the classified 'exit' snapshot #8");
    CHECK_FALSE(mostlyLost(growth));
}

TEST_CASE("only the last classified snapshot of each label keeps its blocks") {
    SnapshotSet set = load(leakySeries(6, all(Class::DefinitelyLost), true, all(Class::DefinitelyLost), true));
    const auto& snapshots = set.processes.at(0).snapshots;
    REQUIRE(snapshots.size() == 7);
    for (size_t i = 0; i < snapshots.size(); ++i) {
        CHECK(snapshots[i].classified);
        CHECK(snapshots[i].blocks_kept == (i >= 5));  // the last 'cycle' one and the exit snapshot
    }
    CHECK(snapshots[5].blocks.size() == 3 * 6 + 5);
}

TEST_CASE("merged and grouped parts add their classes, a part without classes adds to not classified") {
    FindingReachability lost, unknown;
    lost.status = Status::Classified;
    lost.bytes[1] = 300;
    lost.blocks[1] = 3;
    splitPerCycle(lost, 100);
    unknown.status = Status::NotClassified;
    splitPerCycle(unknown, 50);
    Finding group;
    group.type = kGrowth;
    group.resource = "memory";
    addReachability(group.reachability, lost);
    addReachability(group.reachability, unknown);
    CHECK(group.reachability.status == Status::Classified);
    CHECK(reachabilityPhrase(group) == "100 B definitely lost, 50 B not classified");
    CHECK(mostlyLost(group));
}

TEST_CASE("the fail-on categories know lost from its one table, and says what it accepts") {
    CHECK(defaultFailOn() == "growth,double_close,bad_close");  // core/FindingTypes.cpp, in report order
    Report report;
    GateOptions bogus;
    bogus.fail_on = "lost,bogus";
    auto status = applyGate(report, bogus);
    REQUIRE_FALSE(status.ok());
    CHECK(std::string(status.message()).find("(known: growth, lost, leaked_handle") != std::string::npos);
}
