"""The benchmark cases (workload x size x tools) and the command line of each tool.

Every workload runs at its issue-8 size with no tool, leakscope and heaptrack. Valgrind memcheck is
far slower, so it runs the same workload at a reduced size (VALGRIND_SCALE of the operations), in a
case of its own with its own no-tool and leakscope runs: ratios are only ever taken within one case.
"""

from dataclasses import dataclass, field
from pathlib import Path

VALGRIND_SCALE = 4  # valgrind cases do 1/4 of the work of the full case

# name -> the argv prefix that puts the program under the tool ("none" has none)
VALGRIND_ARGV = ["valgrind", "--tool=memcheck", "--leak-check=full", "--num-callers=32", "-q"]


@dataclass
class Case:
    key: str                # row label, e.g. "W1" or "W1/valgrind-size"
    title: str
    program: Path
    args: list
    tools: tuple
    size_note: str
    extras: dict = field(default_factory=dict)   # per-case facts gathered after runs (W5)
    env: dict = field(default_factory=dict)      # settings of the leakscope runs of this case only

    def argv(self):
        return [str(self.program), *self.args]


def _sized(full, quick, is_quick, divisor=1):
    return str(max(1, (quick if is_quick else full) // divisor))


def build_cases(build_dir, quick, algo_pipeline):
    """Returns the cases in run order. algo_pipeline is the W4 binary or None when it is not built."""
    workloads = Path(build_dir) / "targets" / "workloads"
    storm, storm_fp = workloads / "workload_storm", workloads / "workload_storm_fp"
    containers, live_heap = workloads / "workload_containers", workloads / "workload_live_heap"
    full_tools, valgrind_tools = ("none", "leakscope", "heaptrack"), ("none", "leakscope", "valgrind")
    # --quick must finish in under a minute: heaptrack and valgrind cost about a second per run even
    # at tiny sizes, so they run only where the quick smoke test needs one run of each path.
    compared_in_quick = ("W1",)
    cases = []

    def tools_for(key, tools):
        if quick and key not in compared_in_quick:
            return tuple(t for t in tools if t not in ("heaptrack", "valgrind"))
        return tools

    def storm_ops(divisor=1):
        return _sized(2_000_000, 50_000, quick, divisor)

    # The hot-path cases run with the reachability scan off (issue 20: their ratios must not change
    # with it off); its cost is measured by W5-reach and its exit-only default by W5.
    hot_path = {"LEAKSCOPE_REACHABILITY": "off"}

    def add_with_valgrind(key, title, program, make_args, size_note, env=None):
        cases.append(Case(key, title, program, make_args(1), tools_for(key, full_tools), size_note(1), env=env or {}))
        if quick and key != "W1":
            return
        cases.append(Case(f"{key}/valgrind-size", f"{title}, 1/{VALGRIND_SCALE} size for valgrind", program,
                          make_args(VALGRIND_SCALE), valgrind_tools, size_note(VALGRIND_SCALE), env=env or {}))

    add_with_valgrind("W1", "malloc/free storm, 12 frames deep, 1 thread, no frame pointers", storm,
                      lambda d: ["--ops", storm_ops(d)], lambda d: f"{storm_ops(d)} ops, window 1024", hot_path)
    cases.append(Case("W1-fp", "W1 built with frame pointers", storm_fp, ["--ops", storm_ops()],
                      tools_for("W1-fp", full_tools),
                      f"{storm_ops()} ops, window 1024", env=hot_path))
    for threads in (2, 8):
        cases.append(Case(f"W2x{threads}", f"W1 on {threads} threads (ops split evenly)", storm,
                          ["--ops", storm_ops(), "--threads", str(threads)],
                          tools_for("W2", full_tools),
                          f"{storm_ops()} ops total, window 1024 per thread", env=hot_path))

    def churn_ops(divisor):
        return _sized(1_000_000, 30_000, quick, divisor)

    add_with_valgrind("W3", "std::map/std::string/std::vector churn, ~768 distinct stacks", containers,
                      lambda d: ["--ops", churn_ops(d)], lambda d: f"{churn_ops(d)} inserts (+ as many erases)", hot_path)

    if algo_pipeline:
        # About 25 ms per cycle, mostly waiting on its element threads (10 ms CPU): 100 cycles is a
        # 2.5 s run with 100 snapshots under leakscope.
        def cycles(divisor):
            return _sized(100, 5, quick, divisor)

        add_with_valgrind("W4", "algorithm-stream pipeline (fixed variant), a snapshot per cycle", Path(algo_pipeline),
                          lambda d: ["--cycles", cycles(d), "--variant", "fixed"], lambda d: f"{cycles(d)} cycles")

    def live_blocks(divisor):
        return _sized(1_000_000, 30_000, quick, divisor)

    snapshots = "3" if quick else "10"
    add_with_valgrind("W5", f"{live_blocks(1)} live allocations, {snapshots} snapshots", live_heap,
                      lambda d: ["--live", live_blocks(d), "--snapshots", snapshots],
                      lambda d: f"{live_blocks(d)} live, {snapshots} x leakscope_snapshot")
    # The memory-per-allocation probe: the same heap held live with no snapshot, so the tracker's table
    # is measured without the snapshot writer's buffers.
    cases.append(Case("W5-hold", "the W5 heap held live, no snapshot (memory per live allocation)", live_heap,
                      ["--live", live_blocks(1), "--snapshots", "0"], ("none", "leakscope"),
                      f"{live_blocks(1)} live"))
    # W5 with every snapshot classified (issue 20): the cost of the reachability scan per snapshot.
    cases.append(Case("W5-reach", "W5 with LEAKSCOPE_REACHABILITY=all (every snapshot classified)", live_heap,
                      ["--live", live_blocks(1), "--snapshots", snapshots], ("none", "leakscope"),
                      f"{live_blocks(1)} live, {snapshots} x leakscope_snapshot", env={"LEAKSCOPE_REACHABILITY": "all"}))
    return cases


def tool_command(tool, case, run_dir, preload, base_env):
    """argv and environment that run `case` under `tool`, writing any tool output inside run_dir."""
    env = dict(base_env)
    argv = case.argv()
    if tool == "leakscope":
        # The preload directly (not `leakscope run`), so the time is the tracker's and not the report's.
        env["LD_PRELOAD"] = str(preload)
        env["LEAKSCOPE_OUTPUT_DIR"] = str(Path(run_dir) / "snapshots")
        env.update(case.env)
    elif tool == "heaptrack":
        argv = ["heaptrack", "-o", str(Path(run_dir) / "heaptrack"), *argv]
    elif tool == "valgrind":
        argv = [*VALGRIND_ARGV, *argv]
    return argv, env


def describe_tool_command(tool, case):
    """The command as documented: scratch paths shown as $DIR."""
    argv, env = tool_command(tool, case, "$DIR", "$BUILD/preload/libleakscope.so", {})
    prefix = " ".join(f"{k}={v}" for k, v in env.items())
    program = str(case.program).split("/targets/", 1)
    shown = [("$BUILD/targets/" + program[1]) if a == str(case.program) and len(program) == 2 else a for a in argv]
    return (prefix + " " if prefix else "") + " ".join(shown)
