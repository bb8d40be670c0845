"""`leakscope attach` next to `heaptrack -p` (issue 21): what attaching costs a running daemon.

tests/attach/attach_bench_daemon serves requests (64 malloc/free each) and logs, every 100 ms, the
requests served and the longest gap between two of them; "idle" pauses 200 us between requests (the
thread mostly waits in the kernel, like a daemon between requests), "busy" serves them back to back
(the thread is nearly always inside malloc). Each run: the daemon alone for 1.5 s, then the tool
attaches for 3 s and detaches, then 1.5 s alone again. From the log: the longest gap without a tool
(noise of the shared machine), around the attach and around the detach (the time the serving thread
did not run); the requests per window while attached and after, as a fraction of those before; and
whether the daemon survived (exit status 0). leakscope: `leakscope attach PID --duration 3
--interval 1000`; heaptrack: `bash heaptrack -p PID` (gdb), SIGINT after 3 s (its cleanup removes the
injection with gdb again).

heaptrack's script runs under /bin/sh, which is dash on Debian: dash dies of SIGINT without running the
script's EXIT trap, so the injection is never removed and the daemon dies of SIGPIPE once the trace
reader is gone. The bench runs the script with bash, which runs the trap, as Ctrl-C would on a system
whose /bin/sh is bash. A heaptrack run that fails waits out its limits (30 s for the detach, 10 s for the
daemon to stop), so heaptrack gets at most HEAPTRACK_RUNS runs per daemon mode.
"""

import os
import shutil
import signal
import statistics
import subprocess
import time
from pathlib import Path

BASELINE_S, ATTACHED_S, AFTER_S = 1.5, 3.0, 1.5  # the docstring's numbers
DETACH_LIMIT_S, STOP_LIMIT_S, HEAPTRACK_RUNS = 30, 10, 2


def _windows(log):
    rows = []
    for line in Path(log).read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "window":
            rows.append((int(parts[1]) / 1e9, int(parts[2]), int(parts[3]) / 1e6))
    return rows


def _wait_ready(process):
    if not process.stdout.readline().startswith("ready"):
        raise RuntimeError("the bench daemon did not start")


def _one_run(tool, pause_us, daemon, analyzer, work, env):
    work.mkdir(parents=True, exist_ok=True)
    log, stop = work / "log", work / "stop"
    ok, detail = False, ""
    process = subprocess.Popen([str(daemon), str(log), str(stop), str(pause_us)], stdout=subprocess.PIPE, text=True,
                               env=env)
    try:
        _wait_ready(process)
        time.sleep(BASELINE_S)
        attach_start = time.monotonic()
        if tool == "leakscope":
            attach = subprocess.run([str(analyzer), "attach", str(process.pid), "--duration", str(ATTACHED_S),
                                     "--interval", "1000", "--out", str(work / "snapshots")],
                                    capture_output=True, text=True, env=env, timeout=120)
            ok = attach.returncode == 0
            detach_start = attach_start + ATTACHED_S
            detail = attach.stderr.strip().splitlines()[0] if attach.stderr.strip() else ""
        else:
            attach = subprocess.Popen(["bash", shutil.which("heaptrack"), "-o", str(work / "heaptrack"), "-p",
                                       str(process.pid)],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                      start_new_session=True)
            time.sleep(ATTACHED_S)
            detach_start = time.monotonic()
            attach.send_signal(signal.SIGINT)  # the script's trap detaches with gdb
            try:
                output, _ = attach.communicate(timeout=DETACH_LIMIT_S)
                ok = "Heaptrack finished" in output
                detail = ""
            except subprocess.TimeoutExpired:
                os.killpg(attach.pid, signal.SIGKILL)
                attach.communicate()
                ok, detail = False, f"heaptrack did not finish within {DETACH_LIMIT_S} s of SIGINT"
        detach_end = time.monotonic()
        time.sleep(AFTER_S)
    finally:
        stop.touch()
        try:
            status = process.wait(timeout=STOP_LIMIT_S)
            survived = status == 0
            if not survived:
                detail = detail or (f"the daemon died of signal {-status}" if status < 0 else
                                    f"the daemon exited with status {status}")
        except subprocess.TimeoutExpired:  # stopped for good by a tracer, or hung by what it left behind
            process.kill()
            process.wait()
            survived = False
            detail = detail or f"the daemon did not stop within {STOP_LIMIT_S} s of its stop file"
    rows = _windows(log)
    before = [r for r in rows if r[0] < attach_start]
    around_attach = [r for r in rows if attach_start <= r[0] < attach_start + 2.0]
    during = [r for r in rows if attach_start + 2.0 <= r[0] < detach_start]
    around_detach = [r for r in rows if detach_start <= r[0] < detach_end + 1.0]
    after = [r for r in rows if r[0] >= detach_end + 1.0]
    base = statistics.median(r[1] for r in before) if before else 0
    ratio = lambda part: statistics.median(r[1] for r in part) / base if part and base else float("nan")  # noqa: E731
    return {
        "ok": ok and survived,
        "noise_ms": max((r[2] for r in before), default=float("nan")),
        "stop_attach_ms": max((r[2] for r in around_attach), default=float("nan")),
        "stop_detach_ms": max((r[2] for r in around_detach), default=float("nan")),
        "during": ratio(during),
        "after": ratio(after),
        "command_s": detach_end - attach_start,
        "detail": detail,
    }


def measure_attach(build_dir, runs, scratch, env, log, quick=False):
    """Markdown lines of the "Attach" section (the tools that are installed). `quick` (the CI smoke test)
    leaves heaptrack -p out: here its gdb detach does not finish after SIGINT and each run waits out its
    60 s limit, which made the smoke test take minutes."""
    daemon = build_dir / "tests" / "attach" / "attach_bench_daemon"
    analyzer = build_dir / "analyzer" / "leakscope"
    lines = ["## Attach to a running process (issue 21)", ""]
    if not daemon.exists():
        return lines + ["Not measured: tests/attach/attach_bench_daemon is not built.", ""]
    has_heaptrack = subprocess.run(["sh", "-c", "command -v heaptrack gdb"], capture_output=True).returncode == 0
    tools = ["leakscope"] + (["heaptrack"] if has_heaptrack and not quick else [])
    modes = (("idle", 200), ("busy", 0))
    results = {(tool, mode): [] for tool in tools for mode, _ in modes}
    for round_index in range(runs):
        for mode, pause_us in modes:
            for tool in tools if round_index % 2 == 0 else list(reversed(tools)):
                if tool == "heaptrack" and round_index >= HEAPTRACK_RUNS:
                    continue
                try:
                    results[(tool, mode)].append(_one_run(tool, pause_us, daemon, analyzer,
                                                          scratch / f"attach-{tool}-{mode}-{round_index}", env))
                except (RuntimeError, subprocess.SubprocessError, OSError) as error:
                    log(f"attach bench, {tool} {mode}: {error}")
    lines += [" ".join(__doc__.split("\n\n")[1].split()), "",
              f"Median of {runs} runs for leakscope, {min(runs, HEAPTRACK_RUNS)} for heaptrack (min–max in brackets).", "",
              "| daemon | tool | gap without tool ms | stop at attach ms | stop at detach ms | throughput while attached | after detach | ok (detached, daemon exit 0) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]

    def cell(samples, key, fmt):
        values = [s[key] for s in samples if s[key] == s[key]]
        if not values:
            return "–"
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

    for mode, _ in modes:
        for tool in tools:
            samples = results[(tool, mode)]
            ok = sum(1 for s in samples if s["ok"])
            lines.append(f"| {mode} | {tool} | {cell(samples, 'noise_ms', '{:.1f}')} "
                         f"| {cell(samples, 'stop_attach_ms', '{:.1f}')} | {cell(samples, 'stop_detach_ms', '{:.1f}')} "
                         f"| {cell(samples, 'during', '{:.2f}')} | {cell(samples, 'after', '{:.2f}')} | {ok}/{len(samples)} |")
    if quick and has_heaptrack:
        lines.append("")
        lines.append("heaptrack -p not measured in --quick (see measure_attach); the full run measures it.")
    elif "heaptrack" not in tools:
        lines.append("")
        lines.append("heaptrack not measured: heaptrack or gdb is not installed (scripts/setup bench).")
    detail = next((s["detail"] for s in results[("leakscope", "idle")] if s["detail"]), "")
    if detail:
        lines += ["", f"leakscope's own line for one run: `{detail}`"]
    for mode, _ in modes:
        failures = sorted({s["detail"] for s in results.get(("heaptrack", mode), []) if not s["ok"] and s["detail"]})
        if failures:
            lines += ["", f"heaptrack, {mode} daemon, what went wrong: " + "; ".join(failures) + "."]
    lines += ["", "leakscope stops one thread once, at a system call, for dlopen and the redirection; its detach "
              "needs no stop (the tool thread inside the process puts the entries back). heaptrack's gdb stops "
              "every thread wherever it is, at the attach and again at the detach; a thread stopped inside malloc "
              "then re-enters it from the injected dlopen.", ""]
    return lines
