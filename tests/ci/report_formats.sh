#!/usr/bin/env bash
# The CI formats of a real clean and a real leaking run: JUnit (a testcase per check, passing ones
# included; names stable across runs; repository-relative file; time), the text report's gate rule
# and summary block, and colour (--color, NO_COLOR).
#   report_formats.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
make_repo "$source"
cd "$work/repo"  # default --source-root: this git top-level

run() {  # run NAME ARGS...: leakscope run --check with text to $work/NAME.out and JUnit to $work/NAME.xml
  local name=$1
  shift
  capture "$name" "$leakscope" run --out "$work/$name.snapshots" --check --format text \
    --format junit --output "$work/$name.xml" -- "$program" "$@"
}

run clean
expect_status clean 0
run leak --leak
expect_status leak 1
run leak-again --leak
expect_status leak-again 1

python3 - "$work" <<'PY'
import sys, xml.etree.ElementTree as ET
work = sys.argv[1]
def cases(name):
    root = ET.parse(f"{work}/{name}.xml").getroot()
    return root, root.findall(".//testcase")
def fail(message):
    sys.exit(f"FAIL: {message}")

root, clean = cases("clean")
if not clean: fail("the clean run's JUnit has no testcase")
if root.get("failures") != "0" or any(c.find("failure") is not None for c in clean): fail("the clean run's JUnit has a failure")
names = {c.get("name") for c in clean}
for check in ("growth", "leaked_handle", "bad_close", "invalid_fd_close"):
    if f"no {check}" not in names: fail(f"the clean run has no passing 'no {check}' testcase: {sorted(names)}")

root, leak = cases("leak")
for c in leak:
    if c.get("time") is None: fail(f"testcase {c.get('name')} has no time")
failing = [c for c in leak if c.find("failure") is not None]
growth = [c for c in failing if c.get("name").startswith("growth of memory per 'cycle' in keep_request_buffer [")]
if len(growth) != 1: fail(f"no single failing memory-growth testcase in keep_request_buffer: {[c.get('name') for c in failing]}")
if growth[0].get("file") != "src/ci_program.c" or int(growth[0].get("line", "0")) <= 0:
    fail(f"growth testcase file/line {growth[0].get('file')}:{growth[0].get('line')}, expected src/ci_program.c:N")
if "fails by --fail-on growth" not in growth[0].find("failure").get("message"): fail("the failure does not name its gate rule")
if not any(c.get("name") == "no bad_close" for c in leak): fail("the leaking run lacks the passing 'no bad_close' testcase")

# Stable names: the second run names exactly the same testcases; no sizes, fd numbers or pids in them.
_, again = cases("leak-again")
first, second = sorted(c.get("name") for c in leak), sorted(c.get("name") for c in again)
if first != second: fail(f"testcase names differ between two runs:\n{first}\n{second}")
for name in first:
    for word in (" B ", "blocks", "fd ", "pid"):
        if word in name: fail(f"testcase name {name!r} carries {word.strip()!r}")
print("junit ok:", len(leak), "testcases,", len(failing), "failing")
PY

# Text: the gate rule on each failing finding, the summary block at the end.
grep -q "FAILS the gate: --fail-on growth" "$work/leak.out" || fail "the leaking report does not name the gate rule"
summary=$(sed -n '/── summary ──/,$p' "$work/leak.out")
for want in "verdict:     LEAK" "growth 2 (2 failing)" "512 B/cycle of memory" "1 handle/cycle" \
            "snapshots:   $work/leak.snapshots" "HTML report: leakscope report $work/leak.snapshots --format html"; do
  grep -qF -- "$want" <<<"$summary" || { echo "$summary" >&2; fail "the summary block lacks '$want'"; }
done
[[ $(tail -n 1 "$work/leak.out") == "HTML report:"* ]] || fail "the report does not end with the summary block"
grep -q "verdict:     clean" "$work/clean.out" || fail "the clean report's summary does not say clean"
grep -Eq "\[exit_leak\] [0-9]+ allocation sites? .*still holds? " "$work/leak.out" || fail "exit leaks are not summarised"
capture all "$leakscope" report --all "$work/leak.snapshots"
grep -q "informational: does not fail the gate" "$work/all.out" || fail "--all does not list informational findings"

# Colour: --color always/never decide; auto follows a TTY and NO_COLOR (script(1) provides the TTY).
esc=$'\033['
capture always "$leakscope" report --color always "$work/leak.snapshots"
grep -qF "$esc" "$work/always.out" || fail "--color always wrote no colour"
capture never "$leakscope" report --color never "$work/leak.snapshots"
grep -qF "$esc" "$work/never.out" && fail "--color never wrote colour"
if command -v script >/dev/null; then
  capture tty script -qec "'$leakscope' report '$work/leak.snapshots'" /dev/null
  grep -qF "$esc" "$work/tty.out" || fail "text to a TTY has no colour"
  capture no-color env NO_COLOR=1 script -qec "'$leakscope' report '$work/leak.snapshots'" /dev/null
  grep -qF "$esc" "$work/no-color.out" && fail "NO_COLOR=1: text to a TTY is still coloured"
  grep -q "verdict:" "$work/no-color.out" || fail "NO_COLOR run printed no report"
else
  echo "note: script(1) missing, the TTY half of the colour check did not run"
fi
echo PASS
