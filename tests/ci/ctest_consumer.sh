#!/usr/bin/env bash
# leakscope_add_test through CTest as a user runs it: the leaking, crashing and failing tests fail and
# the clean one passes, on the first `ctest`, on a second one in the same build tree, with -j and with
# --repeat; each run's report holds that run's snapshots only.
#   ctest_consumer.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
consumer="$work/consumer"
capture configure cmake -S "$source/tests/ci/consumer" -B "$consumer" -DLEAKSCOPE_EXECUTABLE="$leakscope" \
  -DLEAKSCOPE_CMAKE_DIR="$source/cmake" -DLEAKSCOPE_INCLUDE_DIR="$source/include" \
  -DCI_PROGRAM_SOURCE="$source/tests/ci/ci_program.c"
expect_status configure 0
capture build cmake --build "$consumer"
expect_status build 0

snapshot_count() { find "$consumer/leakscope/$1/snapshots" -name '*.lksnap' | wc -l; }

ctest_round() {  # ctest_round NAME CTEST_ARGS...: the four verdicts hold
  local name=$1
  shift
  capture "$name" ctest --test-dir "$consumer" --output-on-failure "$@"
  [[ $status -ne 0 ]] || fail "$name: ctest passed although three tests must fail"
  local out
  out=$(cat "$work/$name.out")
  grep -Eq " clean \.+ +Passed" <<<"$out" || { echo "$out" >&2; fail "$name: clean did not pass"; }
  for t in leaky crashing failing; do
    grep -Eq " $t \.+\**(Failed|Exception)" <<<"$out" || { echo "$out" >&2; fail "$name: $t did not fail"; }
  done
  grep -q "already holds" <<<"$out" && { echo "$out" >&2; fail "$name: a rerun was refused"; }
  grep -q "keep_request_buffer" <<<"$out" || fail "$name: the leaking test's output does not name keep_request_buffer"
  grep -q "killed by SIGSEGV" <<<"$out" || fail "$name: the crashing test's output does not say killed by SIGSEGV"
  return 0
}

ctest_round first
first_count=$(snapshot_count clean)
[[ $first_count -gt 0 ]] || fail "the clean test left no snapshots"
ctest_round second
[[ $(snapshot_count clean) -eq $first_count ]] \
  || fail "second run: $(snapshot_count clean) snapshots in clean/snapshots, first run had $first_count (runs mixed)"
ctest_round parallel -j4
ctest_round repeat --repeat until-fail:3
capture repeat-clean ctest --test-dir "$consumer" -R '^clean$' --repeat until-fail:3
expect_status repeat-clean 0
[[ $(snapshot_count clean) -eq $first_count ]] || fail "after --repeat: runs mixed in clean/snapshots"
echo PASS
