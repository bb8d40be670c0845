"""What the benchmark checks besides time: that W1's recorded stacks are complete, what W5's snapshots
cost, and which of issue 8's targets the measured medians meet."""

import json
import os
import re
import struct
from pathlib import Path

from measurement import median, run_measured

DEEP_FRAMES = [f"storm_frame_{level:02d}" for level in range(1, 13)]  # outermost first


def _function_name(symbol):
    # "f(int)" -> "f": the storm frames are extern "C", but be tolerant of a demangled parameter list.
    # "(anonymous namespace)::f(long)" -> "f" as well (the storm's ring runner is one).
    return (symbol.get("function") or "").replace("(anonymous namespace)::", "").split("(")[0]


def snapshot_files(directory, label):
    return sorted(Path(directory).glob(f"*-{label}.lksnap"))


def show_snapshot(analyzer, snapshot, work_dir):
    sample = run_measured([str(analyzer), "show", str(snapshot)], log_dir=work_dir)
    if sample.exit_code != 0:
        raise RuntimeError(f"leakscope show {snapshot} exited {sample.exit_code}: {sample.stderr_tail.strip()}")
    return json.loads(sample.stdout)


def stack_table_bytes(shown):
    """The stack table's payload in a snapshot: 8 bytes per recorded frame (return addresses)."""
    return 8 * sum(len(stack.get("frames", [])) for stack in shown.get("stacks", []))


def check_deep_stacks(analyzer, preload, program, work_dir, base_env, leaked_blocks=16):
    """Runs the storm under the preload and checks, in the exit snapshot, that every block allocated by
    storm_frame_12 has a stack naming storm_frame_12 .. storm_frame_01 in order, then main.
    Returns a dict: verdict ("complete" / "INCOMPLETE" / "not checked"), detail, example stack."""
    work_dir = Path(work_dir)
    out_dir = work_dir / "snapshots"
    env = dict(base_env, LD_PRELOAD=str(preload), LEAKSCOPE_OUTPUT_DIR=str(out_dir))
    run = run_measured([str(program), "--ops", "20000", "--leak", str(leaked_blocks)], env=env, log_dir=work_dir)
    if run.exit_code != 0:
        return {"verdict": "INCOMPLETE", "detail": f"{program.name} exited {run.exit_code} under the preload"}
    exits = snapshot_files(out_dir, "exit")
    if not exits:
        return {"verdict": "INCOMPLETE", "detail": "the preload wrote no exit snapshot"}
    shown = show_snapshot(analyzer, exits[-1], work_dir)
    stacks = {stack["id"]: [_function_name(s) for s in stack.get("symbols", [])] for stack in shown["stacks"]}
    expected = list(reversed(DEEP_FRAMES)) + ["main"]  # innermost first, as recorded
    storm_blocks = [a for a in shown["allocations"] if "storm_frame_12" in stacks.get(a["stack_id"], [])]
    complete, example, first_missing = 0, None, None
    for block in storm_blocks:
        functions = stacks[block["stack_id"]]
        positions = [functions.index(name) if name in functions else -1 for name in expected]
        if -1 not in positions and positions == sorted(positions):
            complete += 1
            example = example or functions
        elif first_missing is None:
            first_missing = ([name for name, p in zip(expected, positions) if p == -1], functions)
    result = {"blocks": len(storm_blocks), "complete": complete, "example": example}
    if len(storm_blocks) < leaked_blocks:
        result.update(verdict="INCOMPLETE", detail=f"only {len(storm_blocks)} of the {leaked_blocks} leaked "
                                                   "blocks have storm_frame_12 in their stack")
    elif complete < len(storm_blocks):
        missing, functions = first_missing
        result.update(verdict="INCOMPLETE", example=functions,
                      detail=f"{len(storm_blocks) - complete} of {len(storm_blocks)} leaked blocks lack "
                             f"{', '.join(missing) or 'the right order'}")
    else:
        result.update(verdict="complete", detail=f"all {complete} leaked blocks: storm_frame_12 .. storm_frame_01, main")
    return result


def collect_live_heap_run(sample, run_dir, facts):
    """After a W5 run under leakscope: its snapshot times (printed by the workload) and file sizes."""
    match = re.search(r"snapshot_ms=([0-9.,]+)", sample.stdout)
    if match:
        facts.setdefault("snapshot_ms", []).extend(float(v) for v in match.group(1).split(",") if v)
    sizes = [f.stat().st_size for f in snapshot_files(Path(run_dir) / "snapshots", "cycle")]
    facts.setdefault("snapshot_bytes", []).extend(sizes)
    facts["tracked"] = "tracked=1" in sample.stdout


def reachability_counters(path):
    """(reachability_status, reachability_scan_ns) from a snapshot's Counters section
    (docs/snapshot-format.md: header 280 bytes, 32-byte section headers, the fields at 152 and 160)."""
    data = Path(path).read_bytes()
    offset = 280
    while offset + 32 <= len(data) - 24:
        kind, _, _, payload = struct.unpack_from("<IIQQ", data, offset)
        if kind == 1:
            return struct.unpack_from("<QQ", data, offset + 32 + 152)
        offset += 32 + payload
    return (0, 0)


def collect_reachability_run(run_dir, facts):
    """After a W5-reach run: each cycle snapshot's scan status and scan time."""
    for snapshot in snapshot_files(Path(run_dir) / "snapshots", "cycle"):
        status, scan_ns = reachability_counters(snapshot)
        facts.setdefault("statuses", []).append(status)
        facts.setdefault("scan_ms", []).append(scan_ns / 1e6)


def time_report(analyzer, snapshot_dir, work_dir, runs):
    """Times `leakscope report DIR --format json` over W5's snapshots; returns (times, peak RSS KiB,
    whether the report found the per-cycle growth at grow_per_cycle)."""
    times, peaks, found_growth, failure = [], [], False, None
    for _ in range(runs):
        sample = run_measured([str(analyzer), "report", str(snapshot_dir), "--format", "json"], log_dir=work_dir)
        if sample.exit_code not in (0, 1):  # 1 = a leak was found: expected here
            failure = f"leakscope report exited {sample.exit_code}: {sample.stderr_tail.strip()[:300]}"
            break
        times.append(sample.wall_s)
        peaks.append(sample.peak_rss_kib)
        try:
            findings = json.loads(sample.stdout).get("findings", [])
        except json.JSONDecodeError:
            findings = []
        found_growth = any(f.get("type") == "growth" and f.get("stack") and
                           _function_name(f["stack"][0]) == "grow_per_cycle" for f in findings)
    return {"times": times, "peak_rss_kib": max(peaks) if peaks else 0, "found_growth": found_growth,
            "failure": failure, "snapshots": len(os.listdir(snapshot_dir))}
