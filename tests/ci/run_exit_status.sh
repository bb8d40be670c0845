#!/usr/bin/env bash
# `leakscope run` never hides the program's failure (docs/cli.md, "Exit codes"): with --check, 1 on a
# leak, else the program's own status (128+N when killed by signal N); without --check, the program's
# status. The end is named the way a shell user would ("killed by SIGSEGV"). A user's own LD_PRELOAD
# comes after libleakscope.so.
#   run_exit_status.sh LEAKSCOPE PROGRAM USER_PRELOAD
source "$(dirname "$0")/lib.sh"
leakscope=$1 program=$2 user_preload=$3

check() {  # check NAME WANT_STATUS PROGRAM_ARGS...
  local name=$1 want=$2
  shift 2
  capture "$name" "$leakscope" run --out "$work/$name" --check -- "$program" "$@"
  expect_status "$name" "$want"
}

check clean 0
grep -q "clean" "$work/clean.out" || fail "clean: the report does not say clean"
check leak 1 --leak
grep -q "keep_request_buffer" "$work/leak.out" || fail "leak: the report does not name keep_request_buffer"
check fail 3 --fail
grep -q "ci_program exited with status 3" "$work/fail.err" || fail "fail: stderr does not say 'exited with status 3'"
check crash 139 --crash
grep -q "ci_program killed by SIGSEGV" "$work/crash.err" || fail "crash: stderr does not say 'killed by SIGSEGV'"
grep -q "exited with status 139" "$work/crash.err" && fail "crash: stderr says 'exited with status 139'"
check crash-early 139 --crash-early
grep -q "killed by SIGSEGV" "$work/crash-early.err" || fail "crash-early: stderr does not say 'killed by SIGSEGV'"
grep -q "was the preload loaded" "$work/crash-early.err" && fail "crash-early: blames the preload for a crash"
# A leak outranks the program's own status: the gate's verdict is the news.
check leak-and-fail 1 --leak --fail

# Without --check: the program's status, whatever the report says.
capture plain-leak "$leakscope" run --out "$work/plain-leak" -- "$program" --leak
expect_status plain-leak 0
capture plain-crash "$leakscope" run --out "$work/plain-crash" -- "$program" --crash
expect_status plain-crash 139
capture plain-fail "$leakscope" run --out "$work/plain-fail" -- "$program" --fail
expect_status plain-fail 3

# A program that cannot be started: exit 2, one line naming it and why, and no directory left behind
# (a new --out with its new parents, the default leakscope-out/); an --out that existed stays as it was.
capture missing "$leakscope" run --out "$work/new/x1" -- "$work/nonexist" --leak
expect_status missing 2
[[ $(cat "$work/missing.err") == "leakscope: run: cannot execute $work/nonexist: No such file or directory" ]] \
  || fail "missing: expected one line naming the program and the reason, got: $(cat "$work/missing.err")"
[[ ! -e $work/new ]] || fail "missing: left $(find "$work/new") behind"
mkdir "$work/cwd" "$work/kept"
echo mine >"$work/kept/notes.txt"
capture missing-default env -C "$work/cwd" "$leakscope" run --check -- ./nonexist
expect_status missing-default 2
[[ -z $(ls -A "$work/cwd") ]] || fail "missing-default: left $(ls -A "$work/cwd") in the working directory"
capture missing-kept "$leakscope" run --out "$work/kept" -- "$work/nonexist"
expect_status missing-kept 2
[[ $(cat "$work/kept/notes.txt") == mine ]] || fail "missing-kept: the existing --out directory was changed"

# A report past the file-size limit (ulimit -f 1: 1,024 bytes): one line naming where and why, and exit 2
# — not a death by SIGXFSZ (153) with the report cut short, nor the verdict's code over a cut report.
[[ $(stat -c %s "$work/leak.out") -gt 1024 ]] || fail "toolarge: the leak report is too small to pass the limit"
capture toolarge bash -c 'ulimit -f 1; exec "$0" report "$1"' "$leakscope" "$work/leak"
expect_status toolarge 2
[[ $(cat "$work/toolarge.err") == "leakscope: stdout: the output could not be written (File too large)" ]] \
  || fail "toolarge: expected one line naming stdout and EFBIG, got: $(cat "$work/toolarge.err")"
capture toolarge-file bash -c 'ulimit -f 1; exec "$0" check "$1" --format json --output "$2"' "$leakscope" "$work/leak" "$work/toolarge.json"
expect_status toolarge-file 2
[[ $(cat "$work/toolarge-file.err") == "leakscope: --output $work/toolarge.json: the output could not be written (File too large)" ]] \
  || fail "toolarge-file: expected one line naming the file and EFBIG, got: $(cat "$work/toolarge-file.err")"

# The user's preload (a jemalloc, say) after ours: ours must see malloc first to track anything.
capture preload env LD_PRELOAD="$user_preload" "$leakscope" run --out "$work/preload" --check -- "$program" --leak --libs
expect_status preload 1
libs=$(grep -E "^lib (libleakscope.so|$(basename "$user_preload"))\$" "$work/preload.out" | cut -d' ' -f2 | xargs)
[[ "$libs" == "libleakscope.so $(basename "$user_preload")" ]] \
  || fail "preload order: the program loaded '$libs', expected libleakscope.so first, then $(basename "$user_preload")"
echo PASS
