"""Runs one program and measures it: wall time and peak RSS of the whole process tree.

The measuring is done by bench_measure (targets/workloads/MeasureRun.c), a small C wrapper: wall time
around its fork+exec and wait4, so it includes everything a user waits for (a tool's start-up, its
exit-time work such as heaptrack's interpreter or leakscope's exit snapshot); peak RSS is wait4's
ru_maxrss, the largest resident set of the child or of any descendant it waited for. A wrapper because
ru_maxrss survives exec: measured straight from Python, every program would weigh at least Python.
"""

import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Sample:
    wall_s: float
    cpu_s: float          # user + system time of the process tree
    peak_rss_kib: int
    exit_code: int
    stdout: str
    stderr_tail: str


MEASURE_WRAPPER = None  # path of bench_measure, set once by scripts/bench


def run_measured(argv, env=None, cwd=None, log_dir=None):
    """Runs argv to completion under bench_measure and returns a Sample. stdout/stderr go to files in
    log_dir (not pipes, which a chatty program could fill while nobody reads them)."""
    log_dir = Path(log_dir or cwd or ".")
    stdout_path, stderr_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    result_path = log_dir / "measure.txt"
    # LD_PRELOAD is handed to the wrapper as an assignment for the child: the wrapper stays untracked.
    wrapper_env = dict(env) if env is not None else None
    assignments = []
    if wrapper_env and "LD_PRELOAD" in wrapper_env:
        assignments.append("LD_PRELOAD=" + wrapper_env.pop("LD_PRELOAD"))
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        wrapper = subprocess.run([str(MEASURE_WRAPPER), str(result_path), *assignments, *argv], env=wrapper_env,
                                 cwd=cwd,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    stderr_text = stderr_path.read_text(errors="replace")
    if wrapper.returncode != 0:
        return Sample(wall_s=0.0, cpu_s=0.0, peak_rss_kib=0, exit_code=127, stdout="", stderr_tail=stderr_text[-2000:])
    fields = dict(item.split("=") for item in result_path.read_text().split())
    return Sample(wall_s=int(fields["wall_ns"]) / 1e9, cpu_s=int(fields["cpu_ns"]) / 1e9,
                  peak_rss_kib=int(fields["maxrss_kib"]),
                  exit_code=int(fields["exit"]), stdout=stdout_path.read_text(errors="replace"),
                  stderr_tail=stderr_text[-2000:])


def median(values):
    return statistics.median(values) if values else float("nan")


def heaptrack_data_files(directory):
    """The files a heaptrack run wrote into directory (heaptrack.PROG.PID.zst, .gz from older builds), sorted."""
    directory = Path(directory)
    return sorted(directory.glob("heaptrack.*.zst")) + sorted(directory.glob("heaptrack.*.gz"))


def print_heaptrack_files(files, env, cwd, log_dir):
    """heaptrack_print over each of files, each timed by run_measured: heaptrack's own analysis, the half
    of what a user waits for after the run. Returns (wall_s, cpu_s) summed and the first non-zero exit
    code (0 when every print succeeded)."""
    wall = cpu = 0.0
    code = 0
    for path in files:
        printed = run_measured(["heaptrack_print", str(path)], env=env, cwd=cwd, log_dir=log_dir)
        wall, cpu = wall + printed.wall_s, cpu + printed.cpu_s
        code = code or printed.exit_code
    return wall, cpu, code
