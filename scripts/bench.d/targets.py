"""Issue 8's and issue 23's targets, judged from the measured medians. Each target yields one row: what it asks, what
was measured, and a plain verdict ("met", "NOT met: ... over", or why it could not be judged)."""

from measurement import median


class Medians:
    """Median wall time and peak RSS per (case, tool) over the rounds of one run of the script."""

    def __init__(self, results):
        self.results = results  # case key -> tool -> [Sample]

    def _samples(self, case, tool):
        return [s for s in self.results.get(case, {}).get(tool, []) if s.exit_code == 0]

    def wall(self, case, tool):
        samples = self._samples(case, tool)
        return median([s.wall_s for s in samples]) if samples else None

    def cpu(self, case, tool):
        samples = self._samples(case, tool)
        return median([s.cpu_s for s in samples]) if samples else None

    def rss_kib(self, case, tool):
        samples = self._samples(case, tool)
        return median([s.peak_rss_kib for s in samples]) if samples else None

    def ratio(self, case, tool, measure="wall"):
        of = self.wall if measure == "wall" else self.cpu
        tool_value, base_value = of(case, tool), of(case, "none")
        return tool_value / base_value if tool_value and base_value else None


def _at_most(measured, limit, unit="x"):
    if measured is None:
        return "not measured"
    if measured <= limit:
        return f"met ({measured:.2f}{unit} <= {limit:g}{unit})"
    return f"NOT met: {measured:.2f}{unit}, {measured / limit:.2f}x the limit of {limit:g}{unit}"


def _with_cpu(medians, case, wall_ratio):
    cpu_ratio = medians.ratio(case, "leakscope", measure="cpu")
    return f"{wall_ratio:.2f}x" + (f" (CPU time {cpu_ratio:.2f}x)" if cpu_ratio else "") if wall_ratio else "-"


def evaluate(medians, live_heap, stack_checks, live_allocations):
    """Returns [(target, measured, verdict)]. live_heap holds W5's snapshot/report facts, stack_checks
    the stack-completeness results by program name, live_allocations the W5-hold heap size."""
    rows = []
    w1 = medians.ratio("W1", "leakscope")
    rows.append(("W1, no frame pointers: leakscope <= 3x no-tool wall", _with_cpu(medians, "W1", w1),
                 _at_most(w1, 3.0)))
    heaptrack_w1, leakscope_w1 = medians.wall("W1", "heaptrack"), medians.wall("W1", "leakscope")
    if heaptrack_w1 and leakscope_w1:
        speedup = heaptrack_w1 / leakscope_w1
        verdict = (f"met ({speedup:.2f}x >= 3x)" if speedup >= 3.0
                   else f"NOT met: {speedup:.2f}x, {3.0 / speedup:.2f}x short of 3x")
        rows.append(("W1: leakscope >= 3x faster than heaptrack", f"{speedup:.2f}x", verdict))
    else:
        rows.append(("W1: leakscope >= 3x faster than heaptrack", "-", "not measured"))
    w1fp = medians.ratio("W1-fp", "leakscope")
    rows.append(("W1 with frame pointers: leakscope <= 2x no-tool wall", _with_cpu(medians, "W1-fp", w1fp),
                 _at_most(w1fp, 2.0)))
    w2 = medians.ratio("W2x8", "leakscope")
    if w1 and w2:
        relative = w2 / w1
        rows.append(("W2, 8 threads: ratio <= 1.5x the W1 ratio",
                     f"{_with_cpu(medians, 'W2x8', w2)} vs W1 {w1:.2f}x = {relative:.2f}",
                     _at_most(relative, 1.5, unit="")))
    else:
        rows.append(("W2, 8 threads: ratio <= 1.5x the W1 ratio", "-", "not measured"))

    tool_rss, base_rss = medians.rss_kib("W5-hold", "leakscope"), medians.rss_kib("W5-hold", "none")
    table = live_heap.get("stack_table_bytes")
    if tool_rss and base_rss and live_allocations and table is not None:
        per_block = ((tool_rss - base_rss) * 1024 - table) / live_allocations
        rows.append(("Peak RSS: <= 64 B per live allocation above no-tool, plus the stack table",
                     f"{per_block:.1f} B/allocation ({live_allocations} live; RSS {base_rss / 1024:.1f} -> "
                     f"{tool_rss / 1024:.1f} MiB; stack table {table} B)", _at_most(per_block, 64, unit=" B")))
    else:
        rows.append(("Peak RSS: <= 64 B per live allocation above no-tool, plus the stack table", "-",
                     "not measured (needs the preload's W5-hold run and its exit snapshot)"))

    times = live_heap.get("snapshot_ms", [])
    if times and live_heap.get("tracked"):
        rows.append((f"W5: a snapshot of {live_heap['live']} live allocations written in < 1 s",
                     f"median {median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} snapshots",
                     _at_most(median(times) / 1000, 1.0, unit=" s")))
    else:
        rows.append(("W5: a snapshot written in < 1 s", "-", "not measured (preload inactive or no snapshot)"))
    report = live_heap.get("report", {})
    if report.get("times"):
        rows.append((f"W5: report over the {report['cycle_snapshots']} snapshots < 10 s",
                     f"median {median(report['times']):.2f} s", _at_most(median(report["times"]), 10.0, unit=" s")))
    else:
        rows.append(("W5: report over 10 snapshots < 10 s", "-", report.get("failure") or "not measured"))

    for program, check in stack_checks.items():
        rows.append((f"Stacks complete: {program}'s leaked blocks show all 12 frames plus main",
                     check.get("detail", ""), "met" if check.get("verdict") == "complete"
                     else f"NOT met ({check.get('verdict')})"))
    return rows


def _at_least(measured, limit):
    if measured is None:
        return "not measured"
    if measured >= limit:
        return f"met ({measured:.2f}x >= {limit:g}x)"
    return f"NOT met: {measured:.2f}x, {limit / measured:.2f}x short of {limit:g}x"


def _record_and_analysis(medians, case, tool):
    """(wall, CPU, analysis wall) of record + analysis for one tool of an analysed storm case: the median
    record plus the median analysis (a round's analysis is only timed when its record succeeded)."""
    analysis = case.extras.get("analysis", {}).get(tool, []) if case else []
    record_wall, record_cpu = medians.wall(case.key, tool), medians.cpu(case.key, tool)
    if not analysis or record_wall is None:
        return None
    return (record_wall + median([a[0] for a in analysis]), record_cpu + median([a[1] for a in analysis]),
            median([a[0] for a in analysis]))


def evaluate_issue23(medians, cases, live_heap, live_allocations):
    """Issue 23's targets that the storm and live-heap cases measure: [(target, measured, verdict)].
    The real programs' targets (g++, python3, sqlite3) are judged by real_programs.py in their section."""
    rows = []
    for key, limit, title in (("W1-fp", 1.6, "W1-fp, frame pointers: leakscope <= 1.6x no-tool wall"),
                              ("W1", 2.0, "W1, no frame pointers: leakscope <= 2.0x no-tool wall")):
        ratio = medians.ratio(key, "leakscope")
        rows.append((title, _with_cpu(medians, key, ratio), _at_most(ratio, limit)))

    w1, w2 = medians.ratio("W1", "leakscope"), medians.ratio("W2x8", "leakscope")
    w1_cpu, w2_cpu = medians.ratio("W1", "leakscope", "cpu"), medians.ratio("W2x8", "leakscope", "cpu")
    title = "W2x8, 8 threads: ratio <= 1.2x the single-thread (W1) ratio"
    if w1 and w2:
        cpu_text = f"; CPU {w2_cpu:.2f}x / {w1_cpu:.2f}x = {w2_cpu / w1_cpu:.2f}" if w1_cpu and w2_cpu else ""
        rows.append((title, f"wall {w2:.2f}x / {w1:.2f}x = {w2 / w1:.2f}{cpu_text}", _at_most(w2 / w1, 1.2, unit="")))
    else:
        rows.append((title, "-", "not measured"))

    by_key = {c.key: c for c in cases}
    for key in ("W1", "W1-fp"):
        title = f"{key}: heaptrack + heaptrack_print >= 4x slower than leakscope record + report (wall)"
        case = by_key.get(key)
        ours = _record_and_analysis(medians, case, "leakscope") if case else None
        theirs = _record_and_analysis(medians, case, "heaptrack") if case else None
        if ours and theirs:
            rows.append((title, f"{theirs[0]:.2f} s against {ours[0]:.2f} s (of which heaptrack_print {theirs[2]:.2f} s, "
                                f"leakscope report {ours[2]:.2f} s; CPU {theirs[1]:.2f} s against {ours[1]:.2f} s)",
                         _at_least(theirs[0] / ours[0], 4.0)))
        else:
            rows.append((title, "-", "not measured (heaptrack or heaptrack_print missing, or a run failed)"))

    tool_rss, base_rss = medians.rss_kib("W5-hold", "leakscope"), medians.rss_kib("W5-hold", "none")
    title = "Memory: <= 48 B per live allocation above no-tool (W5-hold peak RSS, stack table included)"
    if tool_rss and base_rss and live_allocations:
        per_block = (tool_rss - base_rss) * 1024 / live_allocations
        rows.append((title, f"{per_block:.1f} B/allocation ({live_allocations} live; RSS {base_rss / 1024:.1f} -> "
                            f"{tool_rss / 1024:.1f} MiB)", _at_most(per_block, 48, unit=" B")))
    else:
        rows.append((title, "-", "not measured"))

    times = live_heap.get("snapshot_ms", [])
    title = f"W5: a snapshot of {live_heap.get('live', '?')} live allocations in < 50 ms (median; issue 23 asks 1,000,000)"
    if times and live_heap.get("tracked"):
        rows.append((title, f"median {median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} snapshots", _at_most(median(times), 50, unit=" ms")))
    else:
        rows.append((title, "-", "not measured"))
    return rows
