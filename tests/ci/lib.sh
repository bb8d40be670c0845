# Shared by the tests/ci scripts (sourced): a scratch directory removed on exit, fail(), capture().
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-ci-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# capture NAME CMD...: runs CMD with stdout in $work/NAME.out, stderr in $work/NAME.err, and its exit
# status in $status (never aborts under set -e). Output is captured first, then grepped: no
# `cmd | grep -q` under pipefail (grep -q exits early, cmd gets SIGPIPE, pipefail fails the pipe).
capture() {
  local name=$1
  shift
  set +e
  "$@" >"$work/$name.out" 2>"$work/$name.err"
  status=$?
  set -e
}
# expect_status NAME WANT: the last capture's status is WANT, else fail showing its output.
expect_status() {
  [[ $status -eq $2 ]] || { cat "$work/$1.out" "$work/$1.err" >&2; fail "$1: exit status $status, expected $2"; }
}
# make_repo: a small git work tree $work/repo with ci_program built from it (absolute DWARF paths, no
# compiler cache), for tests that check repository-relative file names. Sets $program.
make_repo() {
  local source=$1
  mkdir -p "$work/repo/src"
  cp "$source/tests/ci/ci_program.c" "$work/repo/src/"
  mkdir "$work/repo/.git"  # what the default --source-root looks for (a git top-level)
  cc -g -O1 -fno-omit-frame-pointer -I"$source/include" -o "$work/repo/ci_program" "$work/repo/src/ci_program.c"
  program="$work/repo/ci_program"
}
