// `leakscope`: the command line. Parses with CLI11 into the option structs of commands/Commands.h and
// hands over to one run* function. Every parse error is one line on stderr and exit code 2.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>
#include <vector>

#include "commands/Commands.h"
#include "commands/Diagnostics.h"
#include "core/Diff.h"
#include "faultspec/FaultSpec.h"
#include "formats/ReportFormatter.h"

using namespace leakscope::analyzer;

namespace {

// An empty string is never a usable file, directory, label or list: without this check most options
// would quietly treat "" as "not given" (--out "" as the default directory, --baseline "" as none).
const CLI::Validator kNonEmpty(
    [](std::string& value) -> std::string { return value.empty() ? "must not be empty" : ""; }, "");

// Byte and handle counts: decimal digits only. CLI11's own conversion would wrap "-3" around to
// 2^64-3, and its NonNegativeNumber message prints a 300-digit range.
const CLI::Validator kCount(
    [](std::string& value) -> std::string {
        bool digits = !value.empty() && value.size() <= 19 && value.find_first_not_of("0123456789") == std::string::npos;
        return digits ? "" : "\"" + value + "\" is not a count (a whole number from 0 to 10^19-1)";
    },
    "N");

// --format F [--output FILE] pairs, in command-line order: each --output belongs to the --format
// before it (an --output before any --format applies to the default text output). `formats`: the
// names this command writes, both listed in --help and the only ones accepted.
void addOutputOptions(CLI::App& command, std::vector<OutputRequest>& outputs, const std::vector<std::string>& formats) {
    std::string known;
    for (const auto& name : formats) known += (known.empty() ? "" : ", ") + name;
    command
        .add_option_function<std::string>(
            "--format", [&outputs](const std::string& format) { outputs.push_back({format, ""}); },
            "Output format: " + known + " (repeatable; default text)")
        ->trigger_on_parse()
        ->check(CLI::IsMember(formats));
    command
        .add_option_function<std::string>(
            "--output",
            [&outputs](const std::string& path) {
                if (path.empty()) throw CLI::ValidationError("--output", "must not be empty");
                if (outputs.empty() || !outputs.back().path.empty()) outputs.push_back({"text", ""});
                outputs.back().path = path;
            },
            "Write the preceding --format to FILE instead of stdout")
        ->trigger_on_parse();
}

void addReportOptions(CLI::App& command, ReportOptions& report) {
    command.add_option("--label", report.labels, "Analyse only this label's series (repeatable; default: all but exit)")
        ->check(kNonEmpty);
    command.add_option("--warmup", report.warmup, "Cycles ignored at the start of each series")
        ->check(CLI::Range(0, 1000000));
    addOutputOptions(command, report.outputs, formatterNames());
    command.add_option("--source-root", report.source_root,
                       "Source files below DIR are written relative to it in junit and sarif (default: the git "
                       "top-level of the current directory, else the current directory)")
        ->check(CLI::ExistingDirectory);
    command.add_option("--color", report.color, "Colour in text: auto (a TTY, and NO_COLOR unset), always, never")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "always", "never"}));
    command.add_flag("--all", report.all, "List every informational finding in text (default: counts and the five largest)");
    command.add_option("--alloc-fn", report.alloc_fns, "Allocation wrapper skipped in headlines (glob, repeatable)")
        ->check(kNonEmpty);
    command.add_flag("--show-suppressed", report.show_suppressed, "List which suppression rule matched which finding");
    command.add_flag("--no-default-suppressions", report.no_default_suppressions,
                     "Show the runtime's own allocations (thread DTV, stdio buffers, ...) too");
    command.add_option("--source-url", report.source_url, "HTML: link locations to TEMPLATE with {path} and {line}")
        ->check(kNonEmpty);
    command.add_flag("--strict", report.strict, "Exit 2 when any snapshot file is unreadable (default: skip it)");
    command.add_flag("--no-cache", report.no_cache,
                     "Neither read nor write the symbol cache ($XDG_CACHE_HOME/leakscope, else ~/.cache/leakscope)");
}

void addGateOptions(CLI::App& command, GateOptions& gate, bool with_check_flag_help) {
    auto* group = with_check_flag_help ? command.add_option_group("gate", "With --check") : &command;
    group->add_option("--max-bytes-per-cycle", gate.max_bytes_per_cycle, "Growth up to N bytes/cycle passes the gate")
        ->check(kCount);
    group->add_option("--max-handles-per-cycle", gate.max_handles_per_cycle, "Handle growth up to N/cycle passes")
        ->check(kCount);
    group->add_option("--max-exit-bytes", gate.max_exit_bytes, "Fail when more than N bytes are live at exit")
        ->check(kCount);
    std::string categories;
    for (const auto& category : gateCategories()) categories += (categories.empty() ? "" : " ") + std::string(category.name);
    group->add_option("--fail-on", gate.fail_on, "Finding types that fail the gate (comma list of: " + categories + ")")
        ->capture_default_str()
        ->check(kNonEmpty);
    // A directory would otherwise read as an empty rule list; the baseline may not exist yet
    // (--update-baseline creates it), so the gate itself judges that file.
    group->add_option("--suppressions", gate.suppressions, "Suppressions file (docs/cli.md)")->check(CLI::ExistingFile);
    group->add_option("--baseline", gate.baseline, "Baseline of accepted findings (JSON)")->check(kNonEmpty);
    group->add_flag("--update-baseline", gate.update_baseline, "Write the current findings to --baseline and pass");
}

// --fail-alloc is checked with the preload's own grammar (faultspec/): on the
// command line a bad spec is a usage error, where in the environment it is only a warning.
const CLI::Validator kFailAllocSpec(
    [](std::string& spec) -> std::string {
        char why[256] = "";
        if (leakscope::faultspec::isValid(spec.c_str(), why, sizeof(why))) return "";
        return "\"" + spec + "\": " + why + " (docs/configuration.md)";
    },
    "SPEC");

// CLI11 reports an unknown command or a flag before the command only as "A subcommand is required";
// this names the culprit instead. Returns "" when argv[1] is a command or a help/version flag.
std::string unknownCommand(const CLI::App& app, int argc, char** argv) {
    // The diagnostics options may come before the command.
    int at = 1;
    while (at < argc) {
        std::string_view arg = argv[at];
        if (arg == "--log-level") at += 2;
        else if (arg.rfind("--log-level=", 0) == 0 || arg == "--verbose" || (arg.size() >= 2 && arg.find_first_not_of('v', 1) == std::string_view::npos && arg[0] == '-')) ++at;
        else break;
    }
    if (at >= argc) return "";
    std::string first = argv[at];
    if (first == "-h" || first == "--help" || first == "--version") return "";
    for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
        if (command->get_name() == first) return "";
    std::string known;
    for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
        known += (known.empty() ? "" : ", ") + command->get_name();
    return (first.rfind('-', 0) == 0 ? "unknown option " : "unknown command ") + first + " (commands: " + known + ")";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"leakscope: finds memory and handle leaks that happen across lifecycle events"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("leakscope ") + kToolVersion);
    // Diagnostics of the analyzer itself (phase timings, what it decided), before or after the command.
    std::string log_level = "warn";
    int verbose = 0;
    app.add_flag("-v,--verbose", verbose, "More diagnostics on stderr (-v: phase timings, -vv: debug)");
    app.add_option("--log-level", log_level, "Diagnostics on stderr: trace, debug, info, warn, error, off")
        ->capture_default_str()
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(kLogLevels), std::end(kLogLevels))));
    app.fallthrough();

    std::string show_file;
    auto* show = app.add_subcommand("show", "Print one snapshot as JSON");
    show->add_option("FILE", show_file, "Snapshot file (.lksnap)")->required()->check(kNonEmpty);

    std::string diff_before, diff_after;
    std::vector<OutputRequest> diff_outputs;
    auto* diff = app.add_subcommand("diff", "What B holds that was created after A, and what A held that B freed");
    diff->add_option("A", diff_before, "Earlier snapshot")->required()->check(kNonEmpty);
    diff->add_option("B", diff_after, "Later snapshot")->required()->check(kNonEmpty);
    addOutputOptions(*diff, diff_outputs, std::vector<std::string>(std::begin(kDiffFormats), std::end(kDiffFormats)));

    ReportOptions report_options;
    auto* report = app.add_subcommand("report", "Analyse snapshots: per-cycle growth, leaked handles, events, exit leaks");
    report->add_option("INPUTS", report_options.inputs, "Snapshot directories or files")->required()->check(kNonEmpty);
    addReportOptions(*report, report_options);

    ReportOptions check_options;
    GateOptions check_gate;
    auto* check = app.add_subcommand("check", "Like report, then gate: exit 1 when a leak is found");
    check->add_option("INPUTS", check_options.inputs, "Snapshot directories or files")->required()->check(kNonEmpty);
    addReportOptions(*check, check_options);
    addGateOptions(*check, check_gate, false);

    std::string snap_pid, snap_label = "external";
    auto* snap = app.add_subcommand("snap", "Ask a running, preloaded process for a snapshot");
    snap->add_option("PID", snap_pid, "Process id")->required()->check(kNonEmpty);
    snap->add_option("LABEL", snap_label, "Snapshot label")->capture_default_str()->check(kNonEmpty);

    RunOptions run_options;
    auto* run = app.add_subcommand("run", "Run PROG under the preload, then report (and with --check, gate)");
    run->add_option("--out", run_options.out_dir,
                    "Snapshot directory, new or empty (default ./leakscope-out/<prog>-<pid of leakscope>)")
        ->check(kNonEmpty);
    run->add_option("--depth", run_options.depth, "Frames per stack")->check(CLI::Range(1, 256));
    run->add_option("--interval", run_options.interval_ms, "Periodic snapshot every MS milliseconds (0 = off)")
        ->check(CLI::Range(0, 86400000));
    run->add_option("--fail-alloc", run_options.fail_alloc, "Fault-injection rules (docs/configuration.md)")
        ->check(kFailAllocSpec);
    run->add_flag("--force", run_options.force, "Delete the snapshots of an earlier run in --out instead of refusing");
    run->add_flag("--no-follow-exec", run_options.no_follow_exec, "Do not track programs PROG execs");
    run->add_flag("--track-sandboxed", run_options.track_sandboxed,
                  "Track processes that inherit a seccomp filter (LEAKSCOPE_SECCOMP=track; the filter must allow "
                  "the calls in docs/RELIABILITY.md)");
    run->add_flag("--reachability", run_options.reachability,
                  "Classify the blocks of every snapshot (lost / still reachable), not only at exit");
    run->add_flag("--check", run_options.check,
                  "Gate the report: exit 1 on a leak, else PROG's own status (128+N when killed by signal N)");
    addReportOptions(*run, run_options.report);
    addGateOptions(*run, run_options.gate, true);
    run->add_option("PROG", run_options.program, "Program and its arguments (after --)");

    AttachOptions attach_options;
    auto* attach = app.add_subcommand("attach", "Track a running process from now on, then report (docs/attach.md)");
    attach->add_option("PID", attach_options.pid, "Process id")->required()->check(kNonEmpty);
    attach->add_option("--out", attach_options.out_dir,
                       "Snapshot directory, new or empty (default ./leakscope-out/<name>-<pid of leakscope>)")
        ->check(kNonEmpty);
    attach->add_option("--interval", attach_options.interval_ms, "Snapshot every MS milliseconds (0: first and last only)")
        ->capture_default_str()
        ->check(CLI::Range(0, 86400000));
    attach->add_option("--duration", attach_options.duration_s, "Detach after SECONDS (default: at Ctrl-C)")
        ->check(CLI::Range(0.0, 31536000.0));
    attach->add_option("--depth", attach_options.depth, "Frames per stack")->check(CLI::Range(1, 256));
    attach->add_flag("--force", attach_options.force, "Delete the snapshots of an earlier run in --out instead of refusing");
    attach->add_flag("--check", attach_options.check, "Gate the report: exit 1 on a leak");
    addReportOptions(*attach, attach_options.report);
    addGateOptions(*attach, attach_options.gate, true);

    // Everything after run's `--` is the program's own command line, taken verbatim: CLI11 would
    // otherwise judge the program's flags (`-- prog --leak`) as its own.
    int parsed_argc = argc;
    std::vector<std::string> program_after_dashes;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) != "run") continue;
        for (int j = i + 1; j < argc; ++j)
            if (std::string_view(argv[j]) == "--") {
                parsed_argc = j;
                program_after_dashes.assign(argv + j + 1, argv + argc);
                break;
            }
        break;
    }

    if (std::string unknown = unknownCommand(app, argc, argv); !unknown.empty()) {
        std::cerr << "leakscope: " << unknown << " (see leakscope --help)\n";
        return kExitInputError;
    }
    try {
        app.parse(parsed_argc, argv);
        if (*run) {
            if (!program_after_dashes.empty()) {
                if (!run_options.program.empty())
                    throw CLI::ExtrasError("run", std::vector<std::string>(run_options.program));
                run_options.program = std::move(program_after_dashes);
            }
            if (run_options.program.empty()) throw CLI::RequiredError("PROG");
            if (run_options.program[0].empty()) throw CLI::ValidationError("PROG", "must not be empty");
        }
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        for (char& c : message)
            if (c == '\n') c = ' ';
        std::cerr << "leakscope: " << message << " (see leakscope --help)\n";
        return kExitInputError;
    }

    setupDiagnostics(log_level, verbose);
    spdlog::debug("command: {}", app.get_subcommands().front()->get_name());

    // Nothing below should throw; if something does (out of memory on a huge input, a filesystem
    // error), it is still one line and exit 2, never an abort.
    try {
        if (*show) return runShow(show_file);
        if (*diff) return runDiff(diff_before, diff_after, diff_outputs);
        if (*report) return runReport(report_options);
        if (*check) return runCheck(check_options, check_gate);
        if (*snap) return runSnap(snap_pid, snap_label);
        if (*run) return runProgram(std::move(run_options));
        if (*attach) return runAttach(std::move(attach_options));
    } catch (const std::exception& e) {
        std::cerr << "leakscope: " << app.get_subcommands().front()->get_name() << ": " << e.what() << "\n";
    }
    return kExitInputError;
}
