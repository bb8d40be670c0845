"""Where leakscope's time goes on W1: instruction counts per operation from valgrind's callgrind.

Instruction counts do not depend on the machine's load, unlike wall time, so they are the reliable way
to compare hot-path changes on a shared 2-core machine. The program runs twice under callgrind, with
and without the preload; the difference divided by the operations is the tracker's cost per
malloc+free pair, and the preload's and libunwind's functions are listed with their inclusive and self
instructions per operation.
"""

import re
import shutil
import subprocess
from pathlib import Path

# "562,334,711 (86.51%)  preload/hooks/AllocationHooks.cpp:malloc [/path/libleakscope.so]"
_LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?):(.+) \[(.+)\]\s*$")
_TOTAL = re.compile(r"^\s*([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS")


def _annotate(out_file, inclusive):
    text = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", str(out_file)],
                          capture_output=True, text=True, check=True).stdout
    total, functions = 0, {}
    for line in text.splitlines():
        if match := _TOTAL.match(line):
            total = int(match.group(1).replace(",", ""))
        elif match := _LINE.match(line):
            count, _, function, obj = match.groups()
            key = (Path(obj).name, function)
            functions[key] = functions.get(key, 0) + int(count.replace(",", ""))
    return total, functions


def _short_name(obj, function):
    # "(anonymous namespace)::" first: the parameter-list pattern below would take it for one.
    name = function.replace("leakscope::preload::", "").replace("(anonymous namespace)::", "")
    name = re.sub(r"\(.*\)( \[clone [^]]*\])*$", "", name)  # drop parameter lists and clone tags
    if name.startswith("0x"):
        name += " (stripped)"
    return f"{obj.split('.so')[0]}: {name}"


def _callgrind(argv, out_dir, label):
    out_file = out_dir / f"callgrind.{label}"
    # --trace-children: the preload reaches the program through env(1), so valgrind follows the exec.
    subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes", f"--callgrind-out-file={out_file}.%p",
                    *argv], capture_output=True, check=True)
    produced = sorted(out_dir.glob(f"callgrind.{label}.*"), key=lambda p: p.stat().st_size)
    return produced[-1]  # the program's profile (env's own is tiny, and gone after its exec)


def profile_storm(storm, preload, out_dir, operations, top=14):
    """Returns {"ops", "base_per_op", "tool_per_op", "rows": [(name, inclusive/op, self/op)]}, or None
    when valgrind/callgrind_annotate are missing."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_annotate")):
        return None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    program = [str(storm), "--ops", str(operations)]
    base_total, _ = _annotate(_callgrind(program, out_dir, "none"), inclusive=False)
    traced = _callgrind(["env", f"LD_PRELOAD={preload}", f"LEAKSCOPE_OUTPUT_DIR={out_dir / 'snapshots'}", *program],
                        out_dir, "leakscope")
    tool_total, inclusive = _annotate(traced, inclusive=True)
    _, own = _annotate(traced, inclusive=False)
    tracker = [key for key in inclusive if key[0].startswith(("libleakscope", "libunwind"))]
    tracker.sort(key=lambda key: -inclusive[key])
    rows = [(_short_name(*key), inclusive[key] / operations, own.get(key, 0) / operations) for key in tracker[:top]]
    return {"ops": operations, "base_per_op": base_total / operations, "tool_per_op": tool_total / operations,
            "rows": rows}


def render_profile(profile, command):
    if not profile:
        return ["Not profiled (valgrind or callgrind_annotate missing, or --quick)."]
    lines = [f"`{command}`: {profile['ops']} operations (one malloc through 12 frames + one free each); "
             f"instructions per operation, whole run included (start-up and exit snapshot are amortised):", "",
             f"- no tool: {profile['base_per_op']:.0f}; under leakscope: {profile['tool_per_op']:.0f} "
             f"(+{profile['tool_per_op'] - profile['base_per_op']:.0f}, "
             f"{profile['tool_per_op'] / profile['base_per_op']:.1f}x)", "",
             "| function (object: name) | inclusive Ir/op | self Ir/op |", "|---|---:|---:|"]
    lines += [f"| {name} | {inc:.0f} | {own:.0f} |" for name, inc, own in profile["rows"]]
    return lines
