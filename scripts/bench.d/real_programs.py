"""Real programs under leakscope and the analyzer's share of a run (issue 23).

Programs (sources written into the scratch directory):
- gpp: `g++ -O2 -c t.cpp` (std::map, std::unordered_map, std::shared_ptr, std::ostringstream, std::sort).
- python: `/usr/bin/python3 dict.py`, which builds a 300,000-entry dict of dicts and `json.dumps` it.
- sqlite: `sqlite3 :memory: ".read script.sql"`, which inserts 300,000 rows, indexes and queries them.

Tools, per program and round, in an order that rotates every round: none; preload =
`LD_PRELOAD=$BUILD/preload/libleakscope.so LEAKSCOPE_OUTPUT_DIR=$DIR PROG`; run = `leakscope run --out
$DIR -- PROG` (record + text report) with an empty symbol cache (XDG_CACHE_HOME a new directory: the
first run on a machine); run warm = the same with the cache a warm-up run of the program filled (every
later run); report = `leakscope report $DIR` over that run's snapshots, cold (an empty cache) and warm
(the cache the cold report filled); heaptrack = `heaptrack PROG` then `heaptrack_print` on every file it wrote. heaptrack does not follow exec, so g++
runs under it as `heaptrack g++ ... -wrapper heaptrack`: gcc's -wrapper starts cc1plus and as under
heaptrack too, and every process leakscope follows is recorded and printed by heaptrack as well.
Times are bench_measure's: wall, and CPU = user+system of the process tree.

`workload_live_heap --live N --snapshots 5` under the preload (5 cycle snapshots + exit), then `leakscope
report DIR --format json`, CPU per run: how the report's time grows with the bytes it reads.

--quick (the CI smoke test) runs only sqlite at 20,000 rows without heaptrack, and the size table at
10,000 and 30,000 live allocations: the same paths, seconds instead of minutes, no verdict on time.
"""

import os
import shutil
import statistics
import tempfile
from pathlib import Path

from measurement import heaptrack_data_files, median, print_heaptrack_files, run_measured

CPP_SOURCE = """#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct Item { std::string name; std::vector<int> values; };

int main(int argc, char** argv) {
    std::map<std::string, Item> items;
    std::unordered_map<int, std::shared_ptr<Item>> by_id;
    for (int i = 0; i < argc * 100; ++i) {
        std::ostringstream key;
        key << "item" << i;
        items[key.str()].values.push_back(i);
    }
    for (auto& [k, v] : items) by_id[int(v.values.size())] = std::make_shared<Item>(v);
    std::vector<int> all;
    for (auto& [id, p] : by_id) all.insert(all.end(), p->values.begin(), p->values.end());
    std::sort(all.begin(), all.end());
    std::cout << all.size() << "\\n";
}
"""

PY_SOURCE = """import json
d = {}
for i in range(300000):
    d["key%d" % i] = {"id": i, "name": "n%d" % i, "tags": [i, i * 2, str(i)]}
print(len(json.dumps(d)))
"""

SQL_SOURCE = """CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {rows})
INSERT INTO t SELECT x, 'name' || x, x * 0.5 FROM c;
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(v) FROM t WHERE name LIKE 'name1%';
SELECT name FROM t ORDER BY v DESC LIMIT 3;
"""

TOOLS = ("none", "preload", "run", "run warm", "heaptrack")

# Not measured by this run: how the report of one saved g++ -O2 run (3 snapshots, 11.5 MB, 10,000
# exit-leak stacks merged into 1,045 findings) got cheaper, each step measured when it was made on the
# same snapshots (user+system of `leakscope report DIR`, the previous step timed alongside; instructions
# from `valgrind --tool=callgrind`, load-independent). Update it with the commit that changes the report.
REPORT_HISTORY = [
    "| step | report CPU s | instructions | commit |", "|---|---:|---:|---|",
    "| libdw `dwfl_module_addrinfo` per frame (it walks the module's whole symbol table: cc1plus exports "
    "31,000 symbols) | 8.7 | | before dbea206 |",
    "| `SymbolIndex`: each module's symbol table read once, the same choice by binary search | 0.98 | 1,282M | dbea206 |",
    "| frames borrowed from the Symbolizer's cache (wrapper detection, stacks), modules found without copying "
    "their path per frame, findings merged through a hash map | same as before within noise | 906M | 4d1d66f |",
    "| exit leaks merged by stack key before their stacks are copied; only the shown stack copied "
    "(peak RSS 111 -> 62 MB) | 0.58 | 768M | 94bc50f |",
    "| the module of the previous frame remembered while a stack is symbolized | same as before within noise | 707M | 8a68839 |",
    "| symbol cache per module build-id (`$XDG_CACHE_HOME/leakscope`): cold (first report on a machine, fills the "
    "cache) / warm; the old binary alongside at 0.48 s (gpp), 0.18 s (python), 0.15 s (sqlite) | gpp 0.53 / 0.31, "
    "python 0.19 / 0.03, sqlite 0.18 / 0.03 | | b0c826b |",
    "",
    "Every format (text, text `--all --no-default-suppressions`, json, markdown, junit, sarif, folded, html) "
    "stayed byte-identical at each step on the gpp, python and sqlite snapshots.",
    "",
    "Where the rest goes, warm (`perf record -e cpu-clock -g` of the gpp report at b0c826b, cache warm; the "
    "python and sqlite reports are 0.03 s, mostly starting leakscope): 25 % page faults on fresh memory for the "
    "11.5 MB of snapshots and their decoded stacks, 8 % the snapshots' CRC-32 (`snapshot::crc32Update`, "
    "byte-wise), 8 % the kernel copying the files in (`pread`), 15 % malloc/free, 4 % the frame cache's "
    "hash lookups (`ModuleDebugInfo::lookup`), the rest decoding, merging and findings. Cold (at b0c826b, "
    "perf of the sqlite report): 34 % zlib inflating libc's debug sections, 42 % the kernel (two thirds page "
    "faults on the inflated buffers and on mapping shared libraries), 11 % the dynamic loader (leakscope's 40 "
    "shared libraries, and libdw's dlopen of libdebuginfod with curl and gnutls, 7 %, made even with "
    "DEBUGINFOD_URLS unset by elfutils 0.188 for modules without local debug info).",
    "",
    "Before the cache (callgrind of the gpp report at 94bc50f): 27 % is zlib inflating libc's separate "
    "debug file (libdw inflates every compressed .debug_* section when the first line of a libc frame is "
    "asked for; the report prints those lines in every format, so deferring the lookup to printed frames "
    "saves nothing here); 12 % finding each frame's module (`Symbolizer::open`, a map keyed by path; now remembered per stack); "
    "9 % reading and decoding the snapshots (on worker threads); 7 % the dynamic loader starting leakscope. "
    "The sqlite and python reports are that fixed cost alone: 0.2 s CPU, three quarters of it the libc "
    "debug file's inflation, against traced runs of 0.5 s (sqlite), which is why their share stays above "
    "20 %.",
]
SIZES_FULL, SIZES_QUICK = (100_000, 300_000, 1_000_000), (10_000, 30_000)


def programs(work, quick):
    """key -> argv of the programs this run measures; their inputs are written into `work`."""
    (work / "t.cpp").write_text(CPP_SOURCE)
    (work / "dict.py").write_text(PY_SOURCE)
    (work / "script.sql").write_text(SQL_SOURCE.format(rows=20_000 if quick else 300_000))
    commands = {
        "gpp": ["g++", "-O2", "-c", str(work / "t.cpp"), "-o", "t.o"],
        "python": ["/usr/bin/python3", str(work / "dict.py")],
        "sqlite": ["sqlite3", ":memory:", f".read {work / 'script.sql'}"],
    }
    return {"sqlite": commands["sqlite"]} if quick else commands


def _heaptrack_argv(key, argv):
    # gcc's -wrapper runs each of its children (cc1plus, as) as `heaptrack CHILD ...`: heaptrack alone
    # would record only the driver, which allocates next to nothing.
    return ["heaptrack", *argv, "-wrapper", "heaptrack"] if key == "gpp" else ["heaptrack", *argv]


def _heaptrack(key, argv, run_dir, env):
    """heaptrack PROG, then heaptrack_print on each file it wrote: one (wall, CPU, exit) for both."""
    work = run_dir / "heaptrack"
    work.mkdir()
    record = run_measured(_heaptrack_argv(key, argv), env=env, cwd=work, log_dir=run_dir)
    data = heaptrack_data_files(work)
    code = record.exit_code
    if code == 0 and not data:
        code = 125  # heaptrack wrote nothing: not a measurement
    print_wall, print_cpu, print_code = print_heaptrack_files(data, env=env, cwd=work, log_dir=work)
    return record.wall_s + print_wall, record.cpu_s + print_cpu, code or print_code, len(data)


def _measure_programs(build_dir, runs, scratch, env, log, quick):
    analyzer, preload = build_dir / "analyzer" / "leakscope", build_dir / "preload" / "libleakscope.so"
    tools = [t for t in TOOLS if t != "heaptrack" or (not quick and shutil.which("heaptrack") and
                                                     shutil.which("heaptrack_print"))]
    commands = programs(scratch, quick)
    samples, failures = {}, []
    for key, argv in commands.items():
        per_tool = samples.setdefault(key, {})
        # "run warm" reads the symbol cache one untimed run of the same program filled.
        warm_cache = Path(tempfile.mkdtemp(prefix=f"cache-warm-{key}-", dir=scratch))
        warm_env = dict(env, XDG_CACHE_HOME=str(warm_cache))
        warm_up = Path(tempfile.mkdtemp(prefix=f"real-{key}-warm-up-", dir=scratch))
        run_measured([str(analyzer), "run", "--out", str(warm_up / "run"), "--", *argv], env=warm_env, cwd=warm_up,
                     log_dir=warm_up)
        shutil.rmtree(warm_up, ignore_errors=True)
        for round_index in range(runs):
            shift = round_index % len(tools)
            for tool in tools[shift:] + tools[:shift]:
                run_dir = Path(tempfile.mkdtemp(prefix=f"real-{key}-{tool}-", dir=scratch))
                if tool == "none":
                    sample = run_measured(argv, env=env, cwd=run_dir, log_dir=run_dir)
                    result = (sample.wall_s, sample.cpu_s, sample.exit_code)
                elif tool == "preload":
                    traced = dict(env, LD_PRELOAD=str(preload), LEAKSCOPE_OUTPUT_DIR=str(run_dir / "snapshots"))
                    sample = run_measured(argv, env=traced, cwd=run_dir, log_dir=run_dir)
                    result = (sample.wall_s, sample.cpu_s, sample.exit_code)
                elif tool == "run warm":
                    sample = run_measured([str(analyzer), "run", "--out", str(run_dir / "run"), "--", *argv],
                                          env=warm_env, cwd=run_dir, log_dir=run_dir)
                    result = (sample.wall_s, sample.cpu_s, sample.exit_code)
                elif tool == "run":
                    cold_env = dict(env, XDG_CACHE_HOME=str(run_dir / "cache-run"))
                    sample = run_measured([str(analyzer), "run", "--out", str(run_dir / "run"), "--", *argv],
                                          env=cold_env, cwd=run_dir, log_dir=run_dir)
                    result = (sample.wall_s, sample.cpu_s, sample.exit_code)
                    # The same snapshots reported with an empty cache, then again with the cache that filled.
                    report_env = dict(env, XDG_CACHE_HOME=str(run_dir / "cache-report"))
                    for name in ("report", "report warm"):
                        report_dir = run_dir / name.replace(" ", "-")
                        report_dir.mkdir()
                        report = run_measured([str(analyzer), "report", str(run_dir / "run")], env=report_env,
                                              cwd=run_dir, log_dir=report_dir)
                        per_tool.setdefault(name, []).append((report.wall_s, report.cpu_s, report.exit_code))
                        if report.exit_code != 0:
                            failures.append(f"{key}: leakscope {name} exited {report.exit_code}")
                    snapshots = list((run_dir / "run").rglob("*.lksnap"))
                    per_tool.setdefault("snapshots", []).append((sum(f.stat().st_size for f in snapshots),
                                                                 len(snapshots)))
                else:
                    wall, cpu, code, files = _heaptrack(key, argv, run_dir, env)
                    result = (wall, cpu, code)
                    per_tool.setdefault("heaptrack_files", []).append(files)
                # `leakscope run` exits 0 (report) or 1 (a finding gates): both are a finished run
                if result[2] != 0 and not (tool == "run" and result[2] == 1):
                    failures.append(f"{key} under {tool} exited {result[2]}")
                per_tool.setdefault(tool, []).append(result)
                shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(warm_cache, ignore_errors=True)
        log(f"real {key}: " + ", ".join(f"{t} {median([s[1] for s in per_tool[t]]):.2f}s CPU"
                                        for t in [*tools, "report", "report warm"]))
    return samples, tools, failures


def _ratio(numerator, denominator):
    return numerator / denominator if numerator and denominator else None


def _verdict(value, limit, at_least=False, unit="x"):
    if value is None:
        return "not measured"
    met = value >= limit if at_least else value <= limit
    relation = ">=" if at_least else "<="
    return f"met ({value:.2f}{unit} {relation} {limit:g}{unit})" if met else f"NOT met ({value:.2f}{unit})"


def _program_lines(samples, tools, quick):
    lines = ["| program | tool | median wall s | x none | median CPU s | x none |", "|---|---|---:|---:|---:|---:|"]
    targets = []
    for key, per_tool in samples.items():
        def med(tool, index):
            values = [s[index] for s in per_tool.get(tool, []) if s[2] == 0 or (tool == "run" and s[2] == 1)]
            return median(values) if values else None

        wall0, cpu0 = med("none", 0), med("none", 1)
        for tool in [*tools[:4], "report", "report warm", *tools[4:]]:
            wall, cpu = med(tool, 0), med(tool, 1)
            if wall is None:
                lines.append(f"| {key} | {tool} | failed | | | |")
                continue
            name = {"heaptrack": "heaptrack + print", "run": "run (cold cache)", "report": "report (cold cache)",
                    "report warm": "report (warm cache)"}.get(tool, tool)
            lines.append(f"| {key} | {name} | {wall:.2f} | {_ratio(wall, wall0) or 0:.2f}x | {cpu:.2f} | "
                         f"{_ratio(cpu, cpu0) or 0:.2f}x |")
        size = median([s[0] for s in per_tool.get("snapshots", [])]) if per_tool.get("snapshots") else 0
        files = median([s[1] for s in per_tool.get("snapshots", [])]) if per_tool.get("snapshots") else 0
        share = _ratio(med("report", 1), med("preload", 1))
        heaptrack_files = per_tool.get("heaptrack_files")
        targets.append((key, share, _ratio(med("run", 1), cpu0), _ratio(med("preload", 1), cpu0),
                        _ratio(med("heaptrack", 1), med("run", 1)), size, files,
                        int(median(heaptrack_files)) if heaptrack_files else None,
                        _ratio(med("report warm", 1), med("preload", 1)), _ratio(med("run warm", 1), cpu0)))
    if quick:  # tiny sizes: the table shows the paths work, its ratios are no verdict
        return lines
    lines += ["", "| target (issue 23, CPU time) | " + " | ".join(t[0] for t in targets) + " |",
              "|---|" + "---|" * len(targets)]
    rows = (("report <= 20 % of the traced run (report / preload), cold symbol cache", 1, 0.20, False, ""),
            ("the same, warm symbol cache", 8, 0.20, False, ""),
            ("whole `leakscope run` <= 1.5x plain, cold symbol cache", 2, 1.5, False, "x"),
            ("the same, warm symbol cache", 9, 1.5, False, "x"),
            ("preload alone <= 1.3x plain", 3, 1.3, False, "x"),
            ("heaptrack + heaptrack_print >= 1.5x slower than `leakscope run`", 4, 1.5, True, "x"))
    for title, index, limit, at_least, unit in rows:
        cells = []
        for target in targets:
            value = target[index]
            if unit == "" and value is not None:
                cells.append(f"{value:.0%}: " + ("met" if value <= limit else "NOT met"))
            else:
                cells.append(_verdict(value, limit, at_least, unit))
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "Snapshots of one `leakscope run` (median): " +
              "; ".join(f"{t[0]} {t[6]:.0f} files, {t[5] / 1e6:.1f} MB" for t in targets) + "."]
    written = [f"{t[0]} {t[7]}" for t in targets if t[7] is not None]
    if written:
        lines.append("heaptrack data files per run (one per process it recorded): " + ", ".join(written) + ".")
    return lines


def _measure_sizes(build_dir, runs, scratch, env, log, quick):
    """Rows of (live allocations, snapshot bytes, [report CPU s]) for the size table."""
    analyzer, preload = build_dir / "analyzer" / "leakscope", build_dir / "preload" / "libleakscope.so"
    live_heap = build_dir / "targets" / "workloads" / "workload_live_heap"
    rows, failures = [], []
    for live in SIZES_QUICK if quick else SIZES_FULL:
        run_dir = Path(tempfile.mkdtemp(prefix=f"report-size-{live}-", dir=scratch))
        traced = dict(env, LD_PRELOAD=str(preload), LEAKSCOPE_OUTPUT_DIR=str(run_dir / "snapshots"))
        sample = run_measured([str(live_heap), "--live", str(live), "--snapshots", "5"], env=traced, cwd=run_dir,
                              log_dir=run_dir)
        if sample.exit_code != 0:
            failures.append(f"workload_live_heap --live {live} exited {sample.exit_code}")
            continue
        size = sum(f.stat().st_size for f in (run_dir / "snapshots").rglob("*.lksnap"))
        times = []
        for _ in range(runs):
            report = run_measured([str(analyzer), "report", str(run_dir / "snapshots"), "--format", "json"], env=env,
                                  cwd=run_dir, log_dir=run_dir)
            if report.exit_code not in (0, 1):
                failures.append(f"report over {live} live allocations exited {report.exit_code}")
                break
            times.append(report.cpu_s)
        if times:
            rows.append((live, size, times))
        shutil.rmtree(run_dir, ignore_errors=True)
    log("report sizes: " + ", ".join(f"{r[1] / 1e6:.1f} MB {median(r[2]):.2f}s" for r in rows))
    return rows, failures


def _size_lines(rows):
    lines = ["| live allocations | snapshot bytes (6 files) | report CPU s (each run) | median CPU per MB |",
             "|---:|---:|---|---:|"]
    for live, size, times in rows:
        lines.append(f"| {live:,} | {size / 1e6:.1f} MB | {', '.join(f'{t:.2f}' for t in times)} | "
                     f"{1000 * median(times) / (size / 1e6):.1f} ms |")
    if len(rows) >= 2:
        xs, ys = [r[1] / 1e6 for r in rows], [median(r[2]) for r in rows]
        slope, intercept = statistics.linear_regression(xs, ys)
        worst = max(abs(y - (intercept + slope * x)) / y for x, y in zip(xs, ys))
        lines += ["", f"Least-squares line through the medians: {intercept:.3f} s fixed + {1000 * slope:.2f} ms per MB; "
                      f"the farthest median is {worst:.0%} off the line."]
    return lines


def measure_real(build_dir, runs, scratch, env, log, quick=False):
    """Markdown lines of the "Real programs" section and the failures (one line each)."""
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    samples, tools, failures = _measure_programs(build_dir, runs, scratch, env, log, quick)
    load_after = " ".join(f"{v:.2f}" for v in os.getloadavg())
    intro = __doc__.split("\n\n")
    lines = ["## Real programs and the report (issue 23)", "", *intro[1].splitlines(), "",
             " ".join(intro[2].split()), "",
             f"Median of {runs} rounds. Load average (1, 5, 15 min) before: {load_before}; after: {load_after}. "
             "Other work on the same cores inflates wall times; CPU times far less, so the targets are judged "
             "on CPU.", "", *_program_lines(samples, tools, quick)]
    if quick:
        lines += ["", " ".join(intro[4].split())]
    lines += ["", "### How the report got here (measured when each step was made)", "", *REPORT_HISTORY]
    sizes, size_failures = _measure_sizes(build_dir, runs, scratch, env, log, quick)
    lines += ["", "### Report time against snapshot size", "", " ".join(intro[3].split()), "", *_size_lines(sizes), ""]
    return lines, failures + size_failures
