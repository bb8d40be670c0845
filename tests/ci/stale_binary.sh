#!/usr/bin/env bash
# A program rebuilt after its run: the analyzer compares the build-id recorded in the snapshots with the
# file on disk, says so once, names no frame of the stale file by a symbol of the new one, and keeps two
# different leaks apart (their frames are module+offset of the run's build, which differ per site).
#   stale_binary.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
make_repo "$source"

capture before "$leakscope" run --out "$work/snapshots" --format json --output "$work/before.json" -- "$program" --leak --two-leaks
expect_status before 0
cc -g -O1 -fno-omit-frame-pointer -DCI_PROGRAM_REBUILT -I"$source/include" -o "$program" "$work/repo/src/ci_program.c"
capture after "$leakscope" report "$work/snapshots" --format json --output "$work/after.json" --format text
expect_status after 0

python3 - "$work/before.json" "$work/after.json" <<'PY'
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
def fail(message): sys.exit(f"FAIL: {message}")
def memory_growth(report):
    return [f for f in report["findings"] if f["type"] == "growth" and f["resource"] == "memory"]
names = sorted(f["stack"][0]["function"] for f in memory_growth(before))
if names != ["keep_request_buffer", "keep_response_buffer"]: fail(f"before the rebuild: memory growth in {names}")
if any("build-id" in note for note in before.get("notes", [])): fail("a build-id note before any rebuild")

notes = [n for n in after.get("notes", []) if "build-id" in n]
if len(notes) != 1 or "ci_program" not in notes[0]: fail(f"expected one build-id note naming ci_program, got {after.get('notes')}")
grown = memory_growth(after)
if len(grown) != 2: fail(f"after the rebuild the two leaks became {len(grown)} finding(s): the stale binary merged them")
if len({f["stack_key"] for f in grown}) != 2: fail("the two leaks share a stack key after the rebuild")
for f in after["findings"]:
    for frame in f["stack"]:
        if frame.get("module") == "ci_program" and not frame["function"].startswith("ci_program+0x"):
            fail(f"a frame of the stale ci_program is named {frame['function']!r} (a symbol of the rebuilt file)")
print("stale ok:", notes[0])
PY
said=$(grep -c "build-id" "$work/after.out" || true)
[[ $said -eq 1 ]] || fail "the text report mentions the build-id $said times, expected once"
echo PASS
