// Report building, symbolization, gate and formats on synthetic snapshots that point into this binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "SyntheticRun.h"
#include "core/FrameTrimmer.h"
#include "core/Gate.h"
#include "core/ReportBuilder.h"
#include "core/StackKey.h"
#include "core/Suppressions.h"
#include "formats/JsonFormatter.h"
#include "formats/ReportFormatter.h"

using namespace leakscope;
using namespace leakscope::analyzer;
using leakscope::testing::syntheticSnapshot;

namespace {

// A "cycle" series of 8 plus exit for pid 7, parsed in memory (same content as writeLeakySeries).
Report syntheticReport(Symbolizer& symbolizer) {
    SnapshotSetBuilder set;
    for (int cycle = 0; cycle <= 8; ++cycle) {
        bool is_exit = cycle == 8;
        auto builder = syntheticSnapshot(7, is_exit ? "exit" : "cycle", 1000 * uint64_t(cycle + 1), uint32_t(cycle));
        for (int block = 0; block < 3 * (cycle + 1); ++block) builder.allocation(0x10000 + 0x100 * uint64_t(block), 128, 1 + uint64_t(block), 1);
        for (int entry = 0; entry < 5; ++entry) builder.allocation(0x90000 + 0x100 * uint64_t(entry), 1000, 2, 2);
        for (int fd = 0; fd <= cycle; ++fd) builder.handle(10 + fd, snapshot::HandleKind::Socket, 500 + uint64_t(fd), 3, 0, "", 2, 2, 0);
        builder.handle(1, snapshot::HandleKind::Unknown, 0, 0, snapshot::kHandleInherited);
        // close(-1) of the lost socket: as this version records it, and as 0.1.0 did (a bad close of -1).
        if (is_exit) builder.event(snapshot::EventKind::InvalidFdClose, 900, 3, uint64_t(-1)).event(snapshot::EventKind::BadClose, 901, 3, uint64_t(-1));
        auto parsed = snapshot::parseSnapshot(builder.bytes(), "cycle-" + std::to_string(cycle));
        REQUIRE(parsed.ok());
        set.add(std::move(*parsed));
    }
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    return report;
}

// Pid 8: six steady cycles and an exit snapshot with one event (stack 3), through the default gate.
Report reportWithExitEvent(Symbolizer& symbolizer, snapshot::EventKind kind, uint64_t value) {
    SnapshotSetBuilder set;
    for (int cycle = 0; cycle <= 6; ++cycle) {
        bool is_exit = cycle == 6;
        auto builder = syntheticSnapshot(8, is_exit ? "exit" : "cycle", 100 * uint64_t(cycle + 1), uint32_t(cycle));
        builder.allocation(0x90000, 1000, 2, 2);
        if (is_exit) builder.event(kind, 50, 3, value);
        auto parsed = snapshot::parseSnapshot(builder.bytes(), "steady-" + std::to_string(cycle));
        REQUIRE(parsed.ok());
        set.add(std::move(*parsed));
    }
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    return report;
}

std::vector<const Finding*> ofType(const Report& report, const std::string& type, const std::string& resource = "") {
    std::vector<const Finding*> out;
    for (const auto& f : report.findings)
        if (f.type == type && (resource.empty() || f.resource == resource)) out.push_back(&f);
    return out;
}

std::string render(const Report& report, const std::string& format) {
    std::ostringstream out;
    // Source files below the repository are named relative to it (junit, sarif), as `leakscope` does by default.
    FormatContext context;
    context.source_root = LEAKSCOPE_SOURCE_ROOT;
    makeFormatter(format)->write(report, out, context);
    return out.str();
}

}  // namespace

TEST_CASE("growth, leaked handles, events and exit leaks come out of a synthetic run") {
    Symbolizer symbolizer;
    Report report = syntheticReport(symbolizer);
    CHECK(report.leak);

    auto memory = ofType(report, "growth", "memory");
    REQUIRE(memory.size() == 1);  // the cache (stack 2) is not growth
    CHECK(memory[0]->stack.at(0).function == "synthetic_leaky_function");
    CHECK(memory[0]->stack.at(0).file.find("SyntheticRun.cpp") != std::string::npos);
    CHECK(memory[0]->stack.at(0).line > 0);
    CHECK(memory[0]->count_per_cycle == 3);
    CHECK(memory[0]->bytes_per_cycle == 384);
    CHECK(memory[0]->series_count.size() == 8);

    auto handles = ofType(report, "growth", "handle");
    REQUIRE(handles.size() == 1);
    CHECK(handles[0]->handle_kind == "socket");
    CHECK(handles[0]->handle_details == "AF_INET SOCK_DGRAM 0");
    CHECK(handles[0]->stack.at(0).function == "synthetic_socket_opener");

    auto leaked = ofType(report, "leaked_handle");
    CHECK(leaked.size() == 9);  // fds 10..18; the inherited fd 1 is not a leak
    // close(-1) closes nothing: informational; the socket lost before it is what gates (its growth).
    CHECK(ofType(report, "bad_close").empty());
    auto closes = ofType(report, "invalid_fd_close");
    REQUIRE(closes.size() == 1);
    CHECK(closes[0]->count == 2);
    CHECK(closes[0]->value == -1);
    CHECK_FALSE(closes[0]->gating);
    CHECK(handles[0]->gating);
    CHECK(ofType(report, "exit_leak").size() == 2);
}

TEST_CASE("a call path whose count rises while its bytes end below where they started is growth with its stack") {
    // A ring that keeps one more block every cycle while its block sizes fall (verdict_ring's leaky twin
    // ended with smaller blocks in 4 of 10 runs): the shown site used to be chosen by bytes grown, from -1
    // on, so no site qualified and the finding had no type, stack or gate.
    Symbolizer symbolizer;
    SnapshotSetBuilder set;
    for (int cycle = 0; cycle <= 9; ++cycle) {
        bool is_exit = cycle == 9;
        auto builder = syntheticSnapshot(9, is_exit ? "exit" : "cycle", 1000 * uint64_t(cycle + 1), uint32_t(cycle));
        for (int block = 0; !is_exit && block < 4 + cycle; ++block)
            builder.allocation(0x10000 + 0x1000 * uint64_t(block), 600 - 60 * uint64_t(cycle), 1 + uint64_t(block), 1);
        auto parsed = snapshot::parseSnapshot(builder.bytes(), "shrinking-" + std::to_string(cycle));
        REQUIRE(parsed.ok());
        set.add(std::move(*parsed));
    }
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    CHECK(report.leak);
    auto memory = ofType(report, "growth", "memory");
    REQUIRE(memory.size() == 1);
    CHECK(memory[0]->gating);
    CHECK(memory[0]->count_per_cycle == 1);
    CHECK(memory[0]->stack.at(0).function == "synthetic_leaky_function");
    CHECK(report.findings.size() == 1);
}

TEST_CASE("close(-1) informs and says when the same process loses fds, a bad close of an fd >= 0 gates") {
    Symbolizer symbolizer;
    Report leaky = syntheticReport(symbolizer);  // its sockets grow and are open at exit
    const std::string text = render(leaky, "text");
    CHECK(text.find("[invalid_fd_close] close(-1) x2 in synthetic_socket_opener") != std::string::npos);
    CHECK(text.find("this process also loses fds") != std::string::npos);
    auto json = nlohmann::json::parse(render(leaky, "json"));
    CHECK(json["summary"]["invalid_fd_closes"] == 1);
    CHECK(json["summary"]["bad_closes"] == 0);
    auto sarif = nlohmann::json::parse(render(leaky, "sarif"));
    CHECK(sarif.dump().find("InvalidFdClose") != std::string::npos);

    // No fd lost: close(-1) alone is informational and says nothing about fds; a close of fd 7, which
    // the process does not own, is a bad close and fails the default gate.
    Report quiet = reportWithExitEvent(symbolizer, snapshot::EventKind::InvalidFdClose, uint64_t(-1));
    CHECK_FALSE(quiet.leak);
    REQUIRE(ofType(quiet, "invalid_fd_close").size() == 1);
    CHECK(render(quiet, "text").find("informational: does not fail the gate") != std::string::npos);
    CHECK(render(quiet, "text").find("also loses fds") == std::string::npos);
    GateOptions strict;
    strict.fail_on = "invalid_fd_close";
    REQUIRE(applyGate(quiet, strict).ok());
    CHECK(quiet.leak);  // --fail-on makes it gate

    Report closes = reportWithExitEvent(symbolizer, snapshot::EventKind::BadClose, 7);
    CHECK(closes.leak);
    auto bad_closes = ofType(closes, "bad_close");
    REQUIRE(bad_closes.size() == 1);
    CHECK(bad_closes[0]->value == 7);
    CHECK(bad_closes[0]->gating);
}

TEST_CASE("JSON carries the schema version and the documented fields") {
    Symbolizer symbolizer;
    auto json = nlohmann::json::parse(render(syntheticReport(symbolizer), "json"));
    CHECK(json["schema_version"] == 1);
    CHECK(json["verdict"] == "leak");
    CHECK(json["processes"][0]["labels"]["cycle"] == 8);
    CHECK(json["summary"]["growth"] == 2);
    const auto& growth = json["findings"][0];
    CHECK(growth["type"] == "growth");
    CHECK(growth["stack"][0]["function"] == "synthetic_leaky_function");
    CHECK(growth["stack_key"].get<std::string>().size() == 16);
    CHECK(growth["series"]["bytes"].size() == 8);
}

TEST_CASE("JUnit and SARIF carry the leak's top frame and file:line") {
    Symbolizer symbolizer;
    Report report = syntheticReport(symbolizer);
    std::string junit = render(report, "junit");
    CHECK(junit.rfind("<?xml", 0) == 0);
    CHECK(junit.find("<failure") != std::string::npos);
    CHECK(junit.find("synthetic_leaky_function") != std::string::npos);
    CHECK(junit.find("SyntheticRun.cpp:") != std::string::npos);

    auto sarif = nlohmann::json::parse(render(report, "sarif"));
    CHECK(sarif["version"] == "2.1.0");
    const auto& result = sarif["runs"][0]["results"][0];
    CHECK(result["ruleId"] == "growth");
    auto location = result["locations"][0]["physicalLocation"];
    CHECK(location["artifactLocation"]["uri"].get<std::string>().find("SyntheticRun.cpp") != std::string::npos);
    CHECK(location["region"]["startLine"].get<int>() > 0);

    std::string folded = render(report, "folded");
    CHECK(folded.find("growth;synthetic_cache_function;synthetic_leaky_function 384\n") != std::string::npos);
    CHECK(render(report, "markdown").find("| growth | fails |") != std::string::npos);
}

TEST_CASE("suppressions match by function, module or file glob, per type") {
    auto rules = parseSuppressions("# comment\n\ngrowth:synthetic_leaky_*\n*:SyntheticRun.cpp  # any type\n", "s.supp");
    REQUIRE(rules.ok());
    REQUIRE(rules->size() == 2);
    Finding growth;
    growth.type = "growth";
    growth.stack = {SymbolizedFrame{0, "synthetic_leaky_function", "/x/y.c", 3, "prog", false, true}};
    CHECK(suppressionMatches((*rules)[0], growth));
    Finding other = growth;
    other.type = "exit_leak";
    CHECK_FALSE(suppressionMatches((*rules)[0], other));
    other.stack[0].file = "/src/SyntheticRun.cpp";
    CHECK(suppressionMatches((*rules)[1], other));

    auto bad = parseSuppressions("growth:ok\nnot a rule\n", "bad.supp");
    REQUIRE_FALSE(bad.ok());
    CHECK(std::string(bad.status().message()).rfind("bad.supp:2: ", 0) == 0);
    auto unknown = parseSuppressions("leak:foo\n", "u.supp");
    REQUIRE_FALSE(unknown.ok());
    CHECK(std::string(unknown.status().message()).find("unknown finding type \"leak\"") != std::string::npos);
}

TEST_CASE("stack keys ignore addresses, lines and files but not function names") {
    SymbolizedStack a = {SymbolizedFrame{0x55550000, "f(int)", "a.c", 3, "prog", false, true}};
    SymbolizedStack b = {SymbolizedFrame{0x77770000, "f(int)", "b.c", 9, "prog", false, true}};
    SymbolizedStack c = {SymbolizedFrame{0x55550000, "g(int)", "a.c", 3, "prog", false, true}};
    CHECK(stackKey("growth", "memory", "", a) == stackKey("growth", "memory", "", b));
    CHECK(stackKey("growth", "memory", "", a) != stackKey("growth", "memory", "", c));
    CHECK(stackKey("growth", "memory", "", a) != stackKey("exit_leak", "memory", "", a));
}

TEST_CASE("thresholds let small growth pass the gate") {
    Symbolizer symbolizer;
    Report report = syntheticReport(symbolizer);
    GateOptions gate;
    gate.max_bytes_per_cycle = 1000;
    gate.max_handles_per_cycle = 5;
    gate.fail_on = "growth";
    REQUIRE(applyGate(report, gate).ok());
    CHECK_FALSE(report.leak);
    gate.max_bytes_per_cycle = 100;
    REQUIRE(applyGate(report, gate).ok());
    CHECK(report.leak);
    gate.fail_on = "growth,nonsense";
    CHECK_FALSE(applyGate(report, gate).ok());
}

TEST_CASE("a process whose hooks saw nothing beside a judged one makes the report clean where judged, not not judged") {
    // A parent with eight steady cycles and a child (fork + exec of /bin/true) whose hooks saw nothing:
    // the child is listed as not judged, the parent's evidence stands (docs/cli.md: "not judged" only
    // when no series was judged). Before, the child turned the whole verdict into "not judged".
    SnapshotSetBuilder set;
    for (int cycle = 0; cycle < 8; ++cycle) {
        auto parent = syntheticSnapshot(10, "cycle", 100 + uint64_t(cycle), uint32_t(cycle));
        parent.allocation(0x90000, 1000, 2, 2);
        auto parsed = snapshot::parseSnapshot(parent.bytes(), "parent");
        REQUIRE(parsed.ok());
        set.add(std::move(*parsed));
    }
    auto child = snapshot::parseSnapshot(syntheticSnapshot(11, "exit", 500, 0).bytes(), "child");
    REQUIRE(child.ok());
    set.add(std::move(*child));
    Symbolizer symbolizer;
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    CHECK_FALSE(report.leak);
    CHECK(report.evidence);
    CHECK(verdictOf(report) == Verdict::CleanWhereJudged);
    REQUIRE_FALSE(report.not_judged.empty());
    for (const auto& item : report.not_judged) CHECK(item.pid == 11);
    CHECK(render(report, "text").find("clean where judged") != std::string::npos);
}

TEST_CASE("a process whose hooks saw nothing is not judged and the report is never clean") {
    SnapshotSetBuilder set;
    for (int cycle = 0; cycle < 8; ++cycle) {
        auto parsed = snapshot::parseSnapshot(syntheticSnapshot(9, "cycle", 100 + uint64_t(cycle), uint32_t(cycle)).bytes(), "empty");
        REQUIRE(parsed.ok());
        set.add(std::move(*parsed));
    }
    Symbolizer symbolizer;
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());
    CHECK_FALSE(report.leak);
    CHECK_FALSE(report.evidence);
    CHECK(std::string(verdictName(report)) == "not judged");
    REQUIRE(report.not_judged.size() == 1);
    CHECK(report.not_judged[0].pid == 9);
    // Said as what was seen: the snapshots prove the preload was there, so not "not tracked" (case 21).
    CHECK(report.not_judged[0].reason.starts_with("no allocation or handle seen: nothing to judge"));
    CHECK(report.not_judged[0].reason.find("not tracked") == std::string::npos);
    CHECK(render(report, "text").find("growth not judged: pid 9: ") != std::string::npos);
    CHECK(nlohmann::json::parse(render(report, "json"))["verdict"] == "not judged");
}

TEST_CASE("two images with one pid are two processes, told apart by their start") {
    SnapshotSetBuilder set;
    for (uint64_t start : {1000u, 2000u})
        for (int cycle = 0; cycle < 6; ++cycle) {
            auto builder = syntheticSnapshot(5, "cycle", start + uint64_t(cycle), uint32_t(cycle));
            builder.allocation(0x10000 + 0x100 * uint64_t(cycle), 64, 1 + uint64_t(cycle), 1);
            auto parsed = snapshot::parseSnapshot(builder.bytes(), "image");
            REQUIRE(parsed.ok());
            parsed->process_start_ns = start;  // what the reader takes from the header (the builder writes 0)
            set.add(std::move(*parsed));
        }
    auto loaded = set.finish();
    REQUIRE(loaded.processes.size() == 2);
    CHECK(loaded.processes[0].pid == loaded.processes[1].pid);
    CHECK(loaded.processes[0].start_ns == 1000);
    CHECK(loaded.processes[1].start_ns == 2000);
    CHECK(loaded.processes[0].snapshots.size() == 6);
}

TEST_CASE("exit leaks of one stack key are one finding that shows its largest site's stack") {
    // ReportBuilder merges exit leaks before it copies their stacks (docs/analysis.md, "One finding per
    // call path"): the sites below share their top five functions and differ only deeper down.
    auto returnInto = [](void (*function)()) { return reinterpret_cast<uint64_t>(function) + 1; };
    const uint64_t leaky = returnInto(testing::synthetic_leaky_function), cache = returnInto(testing::synthetic_cache_function),
                   socket = returnInto(testing::synthetic_socket_opener);
    auto builder = syntheticSnapshot(9, "exit", 1000, 0);
    builder.stack(4, {leaky, cache, socket, leaky, cache, socket});
    builder.stack(5, {leaky, cache, socket, leaky, cache, cache, leaky});  // the largest site
    builder.stack(6, {leaky, cache, socket, leaky, cache, leaky});
    builder.stack(7, {cache, leaky});                                      // another key
    builder.allocation(0x1000, 100, 1, 4);
    builder.allocation(0x2000, 600, 2, 5).allocation(0x2800, 400, 3, 5);
    builder.allocation(0x3000, 50, 4, 6);
    builder.allocation(0x4000, 70, 5, 7);
    auto parsed = snapshot::parseSnapshot(builder.bytes(), "exit");
    REQUIRE(parsed.ok());
    SnapshotSetBuilder set;
    set.add(std::move(*parsed));
    Symbolizer symbolizer;
    Report report = buildReport(set.finish(), {}, symbolizer);

    auto leaks = ofType(report, "exit_leak");
    REQUIRE(leaks.size() == 2);
    const Finding& merged = *leaks[0];  // largest first
    CHECK(merged.sites == 3);
    CHECK(merged.bytes == 1150);
    CHECK(merged.count == 4);
    REQUIRE(merged.stack.size() == 7);
    CHECK(merged.stack[5].function == "synthetic_cache_function");
    CHECK(merged.stack[6].function == "synthetic_leaky_function");
    CHECK(merged.stack[0].address == leaky);
    CHECK(merged.stack_key == stackKey("exit_leak", "memory", "", merged.stack));
    CHECK(leaks[1]->sites == 1);
    CHECK(leaks[1]->bytes == 70);
    CHECK(leaks[1]->stack.at(0).function == "synthetic_cache_function");
}

TEST_CASE("a headline names what the program called, not the preload's entry it went through", "[report]") {
    // Case 16's exit leak read "main → leakscope_dlopen_and_redirect": the program's dlopen slot points
    // at the preload's entry, which calls the real dlopen. The headline says what the program asked for.
    SymbolizedStack stack = {
        SymbolizedFrame{0x10, "_dl_new_object", "dl-object.c", 1, "ld-linux-x86-64.so.2", false, true},
        SymbolizedFrame{0x20, "dlopen", "dlopen.c", 2, "libc.so.6", false, true},
        SymbolizedFrame{0x30, "leakscope_dlopen_and_redirect", "DlEntries.cpp", 3, "libleakscope.so", false, true},
        SymbolizedFrame{0x40, "main", "prog.c", 4, "prog", false, true}};
    CHECK(headlineText(stack, 3) == "main → dlopen");
    // Without the entry in between, the callee is the next frame as before.
    SymbolizedStack direct = {stack[0], stack[1], stack[3]};
    CHECK(headlineText(direct, 2) == "main → dlopen");
    CHECK(headlineText(direct, 1) == "dlopen → _dl_new_object");
}

namespace {

// An informational finding of `type` at `function`, merged from `sites` sites.
Finding informational(const std::string& type, const std::string& function, int sites) {
    Finding f;
    f.type = type;
    f.resource = type == kExitLeak ? "memory" : "handle";
    f.pid = 7;
    f.sites = sites;
    SymbolizedFrame frame;
    frame.function = function;
    f.stack = {frame};
    return f;
}

}  // namespace

TEST_CASE("the text report counts sites and findings by their names, in singular and plural", "[report]") {
    // Before: "[leaked_handle] 5 fd(s) open at exit from 1 site(s)" above "5 handles ... (5 sites)": the
    // first count was the findings, the second the open sites one finding merged.
    Report report;
    Finding accepted = informational(kLeakedHandle, "accept_client", 5);
    accepted.handle_kind = "socket";
    for (int fd = 10; fd < 15; ++fd) {
        Finding part = informational(kLeakedHandle, "accept_client", 1);
        part.fd = fd;
        accepted.components.push_back(part);
    }
    report.findings.push_back(accepted);
    std::string text = render(report, "text");
    INFO(text);
    CHECK(text.find("[leaked_handle] 5 fds open at exit from 5 sites in 1 finding (informational") != std::string::npos);
    CHECK(text.find("5 handles still open at exit (fds 10, 11, 12, 13, 14) in accept_client (5 sites)") != std::string::npos);
    CHECK(text.find(" — 1 finding in 0 processes, 0 snapshots") != std::string::npos);
    CHECK(text.find("(s)") == std::string::npos);

    // One more finding with one fd: the findings are counted apart from the sites.
    Finding log = informational(kLeakedHandle, "open_log", 1);
    log.handle_kind = "file";
    log.fd = 20;
    report.findings.push_back(log);
    text = render(report, "text");
    CHECK(text.find("[leaked_handle] 6 fds open at exit from 6 sites in 2 findings (informational") != std::string::npos);

    Report one;
    Finding block = informational(kExitLeak, "load_config", 1);
    block.count = 1;
    block.bytes = 32;
    one.findings.push_back(block);
    text = render(one, "text");
    CHECK(text.find("[exit_leak] 1 allocation site still holds 32 B in 1 block at exit") != std::string::npos);
    CHECK(text.find("32 B in 1 block live at exit in load_config") != std::string::npos);
    CHECK(text.find("(s)") == std::string::npos);
}

TEST_CASE("event findings merge across processes, and a dropped event makes the lists say they are incomplete") {
    Symbolizer symbolizer;
    SnapshotSetBuilder set;
    // Pids 21 and 22: six steady cycles and an exit snapshot. Both make the same close(-1) (stack 3); 21
    // also closes 1,000 fds it never held from one call (one record, size 1000); 22's store was full.
    for (uint64_t pid : {21, 22}) {
        for (int cycle = 0; cycle <= 6; ++cycle) {
            const bool is_exit = cycle == 6;
            auto builder = syntheticSnapshot(pid, is_exit ? "exit" : "cycle", 100 * uint64_t(cycle + 1), uint32_t(cycle));
            builder.allocation(0x90000, 1000, 2, 2);
            if (is_exit) {
                builder.event(snapshot::EventKind::InvalidFdClose, 50, 3, uint64_t(-1));
                if (pid == 21) builder.event(snapshot::EventKind::UnopenedFdClose, 51, 1, 3, 1000);
                if (pid == 22)
                    builder.event(snapshot::EventKind::BadClose, 52, 1, 9)
                        .counter(&snapshot::Counters::bad_closes, 4091)
                        .counter(&snapshot::Counters::invalid_fd_closes, 1)
                        .counter(&snapshot::Counters::events_dropped, 4090 + 5);  // 5 of kinds without a counter
            }
            auto parsed = snapshot::parseSnapshot(builder.bytes(), "p" + std::to_string(pid) + "-" + std::to_string(cycle));
            REQUIRE(parsed.ok());
            set.add(std::move(*parsed));
        }
    }
    Report report = buildReport(set.finish(), {}, symbolizer);
    REQUIRE(applyGate(report, GateOptions{}).ok());

    auto invalid = ofType(report, "invalid_fd_close");
    REQUIRE(invalid.size() == 1);
    REQUIRE(invalid[0]->also_in.size() == 1);
    CHECK(invalid[0]->also_in[0].first == 22);
    CHECK(invalid[0]->count == 2);
    CHECK(invalid[0]->pid == 21);
    auto unopened = ofType(report, "unopened_fd_close");
    REQUIRE(unopened.size() == 1);
    CHECK(unopened[0]->count == 1000);
    CHECK(unopened[0]->value == 3);
    CHECK(unopened[0]->also_in.empty());
    CHECK_FALSE(unopened[0]->gating);
    REQUIRE(ofType(report, "bad_close").size() == 1);
    CHECK(report.leak);  // the stored bad close gates

    // Pid 22 dropped events: one entry says which list and by how much; pid 21 dropped none.
    std::vector<const NotJudged*> events;
    for (const auto& item : report.not_judged)
        if (item.what == "events") events.push_back(&item);
    REQUIRE(events.size() == 1);
    CHECK(events[0]->pid == 22);
    CHECK(events[0]->reason.find("bad closes (bad_close, double_close): 4,091 counted, 1 stored") != std::string::npos);
    CHECK(events[0]->reason.find("5 events of other kinds not stored") != std::string::npos);
    CHECK(events[0]->reason.find("4,095 events were counted but not stored") != std::string::npos);
    CHECK(report.events_not_stored == 4095);

    const std::string text = render(report, "text");
    CHECK(text.find("events not judged: pid 22") != std::string::npos);
    CHECK(text.find("close(-1) x2 in synthetic_socket_opener (2 processes)") != std::string::npos);
    CHECK(text.find("[unopened_fd_close] close of fds never opened x1000 (first fd 3)") != std::string::npos);
    auto json = nlohmann::json::parse(render(report, "json"));
    CHECK(json["summary"]["events_not_stored"] == 4095);
    CHECK(json["summary"]["unopened_fd_closes"] == 1);
    for (const auto& finding : json["findings"])
        if (finding["type"] == "invalid_fd_close") CHECK(finding["processes"] == 2);
    CHECK(render(report, "markdown").find("4,091 counted, 1 stored") != std::string::npos);
    CHECK(render(report, "html").find("4,091 counted, 1 stored") != std::string::npos);
}
