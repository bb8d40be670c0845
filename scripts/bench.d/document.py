"""Machine facts and the Markdown of docs/BENCHMARKS.md. Every number in it comes from this run."""

import os
import platform
import subprocess
import time

from measurement import median
from workloads import describe_tool_command

TOOL_ORDER = ("none", "leakscope", "heaptrack", "valgrind")

# Not measured by this run: the record of how the hot path got here, each step measured when it was
# made with the same instruction count (load-independent, so comparable across days). Update it with
# the commit that changes the hot path.
HOT_PATH_HISTORY = [
    "Tracker instructions per malloc+free pair: `valgrind --tool=callgrind --trace-children=yes env "
    "LD_PRELOAD=$BUILD/preload/libleakscope.so $BUILD/targets/workloads/workload_storm --ops 100000`, "
    "total minus the no-tool run's 25,886,268, divided by 100,000 (start-up and exit snapshot included).", "",
    "| step | Ir per malloc+free | commit |", "|---|---:|---|",
    "| libunwind `unw_backtrace` (its cached fast trace: ~85 Ir a frame over ~21 frames) | 3032 | 16c951a |",
    "| own walk over a per-pc cache of CFA rules parsed from `.eh_frame` (libunwind as fallback) | 2058 | f179d43 |",
    "| + per-thread memo of the previous walk: an unchanged level reuses its rule, an unchanged stack "
    "its id | 1589 | f179d43 |",
    "| + the memo checks the stack words the previous walk read instead of walking again | 970 | f179d43 |",
    "| + no frame copy for an unchanged stack, LTO, 24-byte live-table slots | 827 | f179d43 |",
    "| + one flag for the hooks' tracking check, unrolled memo check | 745 | c7c02ee |",
    "",
    "Left (2026-11-23): W1 with frame pointers misses 2x by a few percent, and W2 with 8 threads "
    "misses by about 2x. Most of W2's extra cost is the live table: its shard is chosen by the "
    "address's hash, so on two cores nearly every insert and remove touches a shard line last "
    "written by the other core. Choosing the shard by the block's 1 MiB region (each glibc arena, "
    "so each thread, then keeps to its own shards) brought 8 threads down to ~1.2x the one-thread "
    "time, but it makes a signal handler's malloc that interrupts a table operation land on the "
    "very shard its thread holds (a self-deadlock the torture test `timer signals landing in "
    "malloc` caught). Hash sharding has the same hazard at 1/128 odds; the fix for both is a "
    "per-thread record of the held shard and a nested path that does not take it.",
]


def _first_line(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def machine_facts(repo_root):
    commit = _first_line(["git", "-C", str(repo_root), "rev-parse", "--short", "HEAD"])
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "commit": commit,
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "compiler": _first_line(["c++", "--version"]),
        "glibc": _first_line(["ldd", "--version"]),
        "heaptrack": _first_line(["heaptrack", "--version"]),
        "valgrind": _first_line(["valgrind", "--version"]),
    }


def _format_row(medians, case, tool):
    wall, rss, cpu = medians.wall(case.key, tool), medians.rss_kib(case.key, tool), medians.cpu(case.key, tool)
    samples = medians.results.get(case.key, {}).get(tool, [])
    failed = sum(1 for s in samples if s.exit_code != 0)
    if wall is None:
        return f"| {case.key} | {tool} | failed ({failed} of {len(samples)} runs) | | | | | | |"
    walls = [s.wall_s for s in samples if s.exit_code == 0]
    base_wall, base_rss = medians.wall(case.key, "none"), medians.rss_kib(case.key, "none")
    ratio = f"{wall / base_wall:.2f}x" if base_wall else "-"
    cpu_ratio = medians.ratio(case.key, tool, measure="cpu")
    cpu_text = f"{cpu:.3f} | {cpu_ratio:.2f}x" if cpu_ratio else f"{cpu:.3f} | -"
    rss_ratio = f"{rss / base_rss:.2f}x" if base_rss else "-"
    note = f" ({failed} failed)" if failed else ""
    return (f"| {case.key} | {tool} | {wall:.3f} | {min(walls):.3f}–{max(walls):.3f} | {ratio} | "
            f"{cpu_text} | {rss / 1024:.1f} | {rss_ratio} |{note}")


def render(facts, options, cases, medians, target_rows, target_rows_23, live_heap, stack_checks, profile_lines, notes, started_load,
           ended_load, elapsed_s):
    lines = ["# Benchmarks", "",
             "Written by `scripts/bench` " + ("`--quick` (tiny sizes: a smoke test, not a measurement)" if options.quick
                                            else "(full sizes)") + f" on {facts['date']}, commit {facts['commit']}.",
             "Every number below was measured by that run; rerun `scripts/bench` to refresh this file "
             "(`scripts/bench --quick` is the CI smoke test: tiny sizes, no verdict on time; "
             "`--only W1,W5` runs some cases; `LEAKSCOPE_BUILD_DIR` picks the build tree).", "",
             "## Targets of issue 8", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in target_rows]
    lines += ["", "## Targets of issue 23 (storm and live heap; the real programs' targets are in their own "
              "section below)", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in target_rows_23]
    lines += ["", "## Wall time and peak RSS", "",
              f"Median of {options.runs} runs per tool; the tools alternate within each round (none, leakscope, "
              "heaptrack/valgrind, in an order rotated every round) so a load change hits all of them alike. "
              "Ratios are to the no-tool run of the same row group. Peak RSS is wait4's `ru_maxrss` of the "
              "process tree; CPU is its user+system time, which competing load on the shared cores "
              "inflates far less than wall time (the targets are on wall time).", "",
              "| case | tool | median wall s | min–max s | x no-tool | median CPU s | x no-tool | peak RSS MiB | x no-tool |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for case in cases:
        lines += [_format_row(medians, case, tool) for tool in TOOL_ORDER if tool in case.tools]
    lines += ["", "| case | what | size |", "|---|---|---|"]
    lines += [f"| {c.key} | {c.title} | {c.size_note} |" for c in cases]

    lines += ["", "## W5: snapshots and the analyzer", ""]
    times, sizes = live_heap.get("snapshot_ms", []), live_heap.get("snapshot_bytes", [])
    if times and live_heap.get("tracked"):
        lines.append(f"- `leakscope_snapshot(\"cycle\")` with {live_heap['live']} live allocations, timed inside the "
                     f"workload: median {median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms "
                     f"({len(times)} snapshots over {options.runs} runs).")
    else:
        lines.append("- Snapshot time: not measured (the preload was not active in W5).")
    if sizes:
        lines.append(f"- Snapshot file size: median {median(sizes) / 1e6:.1f} MB "
                     f"({median(sizes) / max(1, live_heap['live']):.1f} bytes per live allocation).")
    report = live_heap.get("report", {})
    if report.get("times"):
        lines.append(f"- `leakscope report DIR --format json` over one run's {report['snapshots']} snapshot files "
                     f"({report['cycle_snapshots']} `cycle` + exit): median {median(report['times']):.2f} s, "
                     f"peak RSS {report['peak_rss_kib'] / 1024:.0f} MiB; growth at `grow_per_cycle` "
                     + ("found" if report["found_growth"] else "NOT found") + ".")
    elif report.get("failure"):
        lines.append(f"- Report: {report['failure']}")
    reach = live_heap.get("reach", {})
    if reach.get("snapshot_ms"):
        scans, statuses = reach.get("scan_ms", []), reach.get("statuses", [])
        classified = sum(1 for status in statuses if status == 1)
        lines.append(f"- W5-reach, the same snapshots classified (`LEAKSCOPE_REACHABILITY=all`): "
                     f"median {median(reach['snapshot_ms']):.1f} ms per snapshot (min {min(reach['snapshot_ms']):.1f}, "
                     f"max {max(reach['snapshot_ms']):.1f}), of which the scan "
                     + (f"median {median(scans):.1f} ms" if scans else "not recorded")
                     + f"; {classified} of {len(statuses)} snapshots classified (status 1).")
    if live_heap.get("stack_table_bytes") is not None:
        lines.append(f"- W5-hold's stack table (from its exit snapshot): {live_heap['stack_count']} stacks, "
                     f"{live_heap['stack_table_bytes']} bytes of frames.")

    lines += ["", "## Stack completeness", ""]
    for program, check in stack_checks.items():
        lines.append(f"- `{program} --ops 20000 --leak 16` under the preload, exit snapshot through "
                     f"`leakscope show`: **{check['verdict']}** — {check.get('detail', '')}")
        if check.get("example"):
            lines.append(f"  - recorded stack (innermost first): `{' <- '.join(check['example'])}`")

    lines += ["", "## Where the time goes (callgrind, W1 under leakscope)", ""] + profile_lines
    lines += ["", "## Hot-path changes of issue 8 (callgrind history)", ""] + HOT_PATH_HISTORY
    lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Machine", "",
              f"- {facts['nproc']} CPUs: {facts['cpu']}; kernel {facts['kernel']}",
              f"- {facts['compiler']}; {facts['glibc']}",
              f"- {facts['heaptrack']}; {facts['valgrind']}",
              f"- load average (1, 5, 15 min) at start: {started_load}; at end: {ended_load} "
              "(other engineers build on the same 2 cores: a load above ~1 inflates every ratio's noise)",
              f"- the whole script took {elapsed_s:.0f} s", "",
              "## Commands", "",
              "`scripts/bench " + " ".join(options.argv) + "`, which runs, per round and case (`$BUILD` = "
              f"`{options.build_dir}`, `$DIR` = a fresh scratch directory per run):", "", "```"]
    for case in cases:
        for tool in TOOL_ORDER:
            if tool in case.tools:
                lines.append(f"[{case.key} {tool}] {describe_tool_command(tool, case)}")
    lines += ["```", ""]
    return "\n".join(lines)


CARRIED_NOTE = ("*Kept from the previous version of this file: this run of `scripts/bench` did not write this section "
                "(a hand-measured section, or a case left out by `--only`); its numbers are from when it was written.*")


def carry_over_sections(previous, document):
    """The document with every `## ` section of `previous` that the new document does not have (by heading)
    inserted before its "## Notes": a run of the script must not delete hand-measured sections or the
    sections of cases it did not run. Returns the document unchanged when `previous` is empty."""
    def sections(text):
        found, heading, body = {}, None, []
        for line in text.splitlines():
            if line.startswith("## "):
                if heading:
                    found[heading] = body
                heading, body = line, [line]
            elif heading:
                body.append(line)
        if heading:
            found[heading] = body
        return found

    written = sections(document)
    kept = []
    for heading, body in sections(previous).items():
        if heading in written:
            continue
        lines = list(body)
        if CARRIED_NOTE not in lines:
            lines[1:1] = ["", CARRIED_NOTE]
        kept += lines + ([""] if lines[-1] else [])
    if not kept:
        return document
    return document.replace("## Notes", "\n".join(kept) + "\n## Notes", 1)
