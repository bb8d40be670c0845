"""The analysis half of a storm run (issue 23: "heaptrack with its own analysis included"): after a
leakscope run, `leakscope report` over the snapshots it wrote; after a heaptrack run, `heaptrack_print` over
each file heaptrack wrote. Both are timed by bench_measure like the run itself, so the record and the
analysis add up to what a user waits for."""

from pathlib import Path

from measurement import heaptrack_data_files, print_heaptrack_files, run_measured


def time_analysis(tool, run_dir, analyzer, env):
    """Returns (wall_s, cpu_s) of the analysis of one run in run_dir, or None when there was nothing to
    analyse or the analysis failed (the caller then has no pair for this round)."""
    run_dir = Path(run_dir)
    work = run_dir / "analysis"
    work.mkdir(exist_ok=True)
    if tool == "leakscope":
        # A cold symbol cache (analyzer/core/SymbolCache.h): the first report on a machine, the dearer one.
        env = dict(env, XDG_CACHE_HOME=str(work / "symbol-cache"))
        snapshots = run_dir / "snapshots"
        if not snapshots.is_dir():
            return None
        sample = run_measured([str(analyzer), "report", str(snapshots)], env=env, cwd=work, log_dir=work)
        # leakscope report exits 1 when it finds a leak (the storm leaks nothing, but a gate is not a failure).
        return (sample.wall_s, sample.cpu_s) if sample.exit_code in (0, 1) else None
    if tool == "heaptrack":
        files = heaptrack_data_files(run_dir)
        if not files:
            return None
        wall, cpu, code = print_heaptrack_files(files, env=env, cwd=work, log_dir=work)
        return (wall, cpu) if code == 0 else None
    return None
