#!/usr/bin/env bash
# A program rebuilt in place between its run and the report (tests/ci/rebuilt_program.c moves its leak's
# call site into another function). A report naming that function is a wrong verdict (a new user's
# report, 2026-12: linked by lld, which writes no build-id, the leak was put "in look_up_at_start").
# 1. Linked without a build-id (-Wl,--build-id=none): the snapshots record the file each module was
#    loaded from (size, mtime, inode); the report compares it with the file at the path, says once per
#    module "<path> changed after the run (...): its N frames are shown unsymbolized" (text and JSON) and
#    names no frame of the program from the new file. Before the rebuild it names the right function.
# 2. Linked with a build-id: the build-id tells the builds apart; a copy of the run's build found by its
#    build-id (debuginfod's client cache) is used and names the right function, without a note.
# The symbol cache is on throughout, so it must not serve the old file's names for the new one either.
#   rebuilt_in_place.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
for tool in cc nm readelf python3; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed"; exit 77; }
done
export XDG_CACHE_HOME="$work/cache" DEBUGINFOD_CACHE_PATH="$work/debuginfod"
mkdir -p "$work/bin" "$work/debuginfod"
# build PROGRAM LINKER-FLAG [-DREBUILT]
build() {
  cc -g -O1 -fno-omit-frame-pointer "$2" -I"$source/include" ${3:-} -o "$1" "$source/tests/ci/rebuilt_program.c"
}
# run_and_report NAME PROGRAM: runs it into $work/NAME (run.json) and reports before any rebuild (before.json).
run_and_report() {
  capture "$1-run" "$leakscope" run --out "$work/$1" --format json --output "$work/$1-run.json" -- "$2"
  expect_status "$1-run" 0
  capture "$1-before" "$leakscope" report "$work/$1" --format json --output "$work/$1-before.json"
  expect_status "$1-before" 0
}
# check.py WORK PROGRAM CASE: the JSON assertions, one function per case (below).
cat >"$work/check.py" <<'PY'
import json, subprocess, sys
work, program, case = sys.argv[1:4]
name = program.rsplit("/", 1)[1]
def fail(message): sys.exit(f"FAIL: {case}: {message}")
def load(path): return json.load(open(path))
def growth(report): return [f for f in report["findings"] if f["type"] == "growth" and f["resource"] == "memory"]
def changed_notes(report): return [n for n in report.get("notes", []) if "changed after the run" in n]
def names_the_leak(label):
    report = load(f"{work}/{label}.json")
    named = [f["stack"][0]["function"] for f in growth(report)]
    if named != ["keep_session_buffer"]: fail(f"{label}: memory growth in {named}, expected keep_session_buffer")
    if changed_notes(report): fail(f"{label}: {changed_notes(report)}")

if case == "recorded":  # the snapshot names the run's file: argv[4] is its size
    shown = json.loads(open(f"{work}/show.out").read())
    main = [m for m in shown["modules"] if m["path"] == program]
    if len(main) != 1 or not main[0].get("file"): fail(f"no file recorded for {program}: {main}")
    if main[0]["file"]["size"] != int(sys.argv[4]): fail(f"recorded size {main[0]['file']['size']}, the run's file has {sys.argv[4]}")
elif case in ("plain-run", "plain-before", "build-id-run", "build-id-before", "build-id-copy"):
    names_the_leak(case)
elif case in ("plain-after", "build-id-after"):
    after = load(f"{work}/{case}.json")
    notes = changed_notes(after)
    reason = "(build-id differs)" if case == "build-id-after" else ""
    if len(notes) != 1 or not notes[0].startswith(program + " changed after the run (") or reason not in notes[0] \
            or "shown unsymbolized" not in notes[0]:
        fail(f"expected one note on {program}, got {after.get('notes')}")
    if case == "plain-after" and "mtime" not in notes[0] and "size" not in notes[0]: fail(f"the note does not say what differs: {notes[0]}")
    found = growth(after)
    if len(found) != 1: fail(f"{len(found)} memory growth finding(s)")
    offsets = []
    for frame in found[0]["stack"]:
        if frame.get("module") != name: continue
        if not frame["function"].startswith(name + "+0x"): fail(f"a frame of the rebuilt {name} is named {frame['function']!r}")
        offsets.append(int(frame["function"].split("+")[1], 16))
    if not offsets: fail("no frame of the program in the finding")
    # What trusting the path would have named: the new file's function at the run's call site. The
    # rebuild must really move it into another function, or this test would prove nothing.
    symbols = []
    for line in subprocess.run(["nm", "-n", "--defined-only", program], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "tTwW": symbols.append((int(fields[0], 16), fields[2]))
    wrong = None
    for start, symbol in symbols:
        if start <= offsets[0] - 1: wrong = symbol  # frame 0 is a return address: its call is the byte before
    if wrong in (None, "keep_session_buffer"): fail(f"the rebuild left the call site in {wrong}: the scenario is not reproduced")
    text = open(f"{work}/{case}.out").read() + json.dumps(after)
    for function in (wrong, "keep_session_buffer"):
        if function in text: fail(f"the report names {function!r} from the rebuilt file")
    print(f"{case} ok: {notes[0]} (trusting the path would have said {wrong})")
else:
    fail("unknown case")
PY
check() { python3 "$work/check.py" "$work" "$@"; }

# 1. No build-id.
plain="$work/bin/plain_program"
build "$plain" -Wl,--build-id=none
capture notes readelf -n "$plain"
[[ $(grep -c "Build ID" "$work/notes.out" || true) -eq 0 ]] || fail "the linker wrote a build-id despite --build-id=none"
run_and_report plain "$plain"
capture show "$leakscope" show "$(find "$work/plain" -name '*.lksnap' | sort | head -n 1)"
expect_status show 0
check "$plain" recorded "$(stat -c %s "$plain")"
check "$plain" plain-run
check "$plain" plain-before
build "$plain" -Wl,--build-id=none -DREBUILT
capture plain-after "$leakscope" report "$work/plain" --format json --output "$work/plain-after.json" --format text
expect_status plain-after 0
check "$plain" plain-after
said=$(grep -c "changed after the run" "$work/plain-after.out" || true)
[[ $said -eq 1 ]] || fail "the text report says 'changed after the run' $said times, expected once"

# 2. With a build-id: the run's build kept where debuginfod's client would have put it.
with_id="$work/bin/build_id_program"
build "$with_id" -Wl,--build-id=sha1
run_and_report build-id "$with_id"
check "$with_id" build-id-run
check "$with_id" build-id-before
capture notes readelf -n "$with_id"
hex=$(sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p' "$work/notes.out")
[[ -n $hex ]] || fail "no build-id in the program linked with --build-id=sha1"
mkdir -p "$work/debuginfod/$hex"
cp "$with_id" "$work/debuginfod/$hex/executable"
build "$with_id" -Wl,--build-id=sha1 -DREBUILT
capture build-id-copy "$leakscope" report "$work/build-id" --format json --output "$work/build-id-copy.json"
expect_status build-id-copy 0
check "$with_id" build-id-copy
rm -r "$work/debuginfod/$hex"
capture build-id-after "$leakscope" report "$work/build-id" --format json --output "$work/build-id-after.json" --format text
expect_status build-id-after 0
check "$with_id" build-id-after
echo PASS
