#!/usr/bin/env bash
# The persistent symbol cache changes no byte of any format: the same real runs (ci_program leaking,
# and python3, whose exit-leak stacks cross libpython, libc and ld.so) are reported in every format
# with --no-cache, with an empty cache (cold: it is filled) and with that cache (warm: read, no debug
# info opened for what it holds), and with one cache file truncated (one warning naming it, same bytes).
#   symbol_cache_formats.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
command -v python3 >/dev/null || { echo "SKIPPED: python3 is not installed"; exit 77; }
make_repo "$source"
cd "$work/repo"

capture record-ci "$leakscope" run --no-cache --out "$work/ci.snapshots" -- "$program" --leak
expect_status record-ci 0
capture record-py "$leakscope" run --no-cache --out "$work/py.snapshots" -- \
  python3 -c 'import json; print(len(json.dumps({str(i): [i, str(i)] for i in range(20000)})))'
expect_status record-py 0

formats=(text json markdown junit sarif html folded)
# report NAME [ARGS...]: every format of both runs into $work/NAME/, and --all text without the
# default suppressions (which shows the runtime's own libc and ld.so stacks too).
report() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  for run in ci py; do
    local outputs=()
    for format in "${formats[@]}"; do outputs+=(--format "$format" --output "$work/$name/$run.$format"); done
    capture "$name-$run" "$leakscope" report "$work/$run.snapshots" "${outputs[@]}" "$@"
    expect_status "$name-$run" 0
    cat "$work/$name-$run.err" >>"$work/$name/stderr"
    capture "$name-$run-all" "$leakscope" report "$work/$run.snapshots" --all --no-default-suppressions "$@"
    expect_status "$name-$run-all" 0
    cp "$work/$name-$run-all.out" "$work/$name/$run.all.text"
    cat "$work/$name-$run-all.err" >>"$work/$name/stderr"
  done
}
# same NAME: every output of NAME is byte-identical to the --no-cache one.
same() {
  local file
  for file in "$work"/uncached/*.*; do
    cmp "$file" "$work/$1/$(basename "$file")" || fail "$1: $(basename "$file") differs from the --no-cache report"
  done
}

XDG_CACHE_HOME=$work/unused report uncached --no-cache
[[ ! -e $work/unused ]] || fail "--no-cache created the cache directory"
grep -q 'keep_request_buffer' "$work/uncached/ci.text" ||
  fail "the leaking run's report names no leak: $(head -5 "$work/uncached/ci.text")"
grep -q 'libc.so.6' "$work/uncached/py.all.text" || fail "no libc frame in python's --all report: nothing to cache there"

XDG_CACHE_HOME=$work/cache report cold
same cold
cached=$(find "$work/cache/leakscope" -type f | wc -l)
(( cached >= 3 )) || fail "the cold report cached $cached module(s), expected the program, libc and more"
[[ ! -s $work/cold/stderr ]] || fail "the cold report warned: $(cat "$work/cold/stderr")"

XDG_CACHE_HOME=$work/cache report warm
same warm
[[ ! -s $work/warm/stderr ]] || fail "the warm report warned: $(cat "$work/warm/stderr")"

# libc's entry cut in half: ignored with one warning per report that reads it, and rewritten.
libc_id=$(python3 - <<'PY'
import subprocess
out = subprocess.run(["readelf", "-n", "/lib/x86_64-linux-gnu/libc.so.6"], capture_output=True, text=True).stdout
print(next((l.split()[-1] for l in out.splitlines() if "Build ID" in l), ""))
PY
)
victim=$work/cache/leakscope/$libc_id
[[ -n $libc_id && -f $victim ]] || victim=$(find "$work/cache/leakscope" -type f | head -1)
truncate -s $(( $(stat -c %s "$victim") / 2 )) "$victim"
XDG_CACHE_HOME=$work/cache capture corrupt "$leakscope" report "$work/py.snapshots" --format json
expect_status corrupt 0
cmp "$work/corrupt.out" "$work/uncached/py.json" || fail "the report over a truncated cache file differs"
warnings=$(grep -c "warning: symbol cache $victim: .*ignored, it will be rewritten" "$work/corrupt.err" || true)
[[ $warnings == 1 ]] || fail "expected one warning naming $victim, got: $(cat "$work/corrupt.err")"
XDG_CACHE_HOME=$work/cache capture rewritten "$leakscope" report "$work/py.snapshots" --format json
cmp "$work/rewritten.out" "$work/uncached/py.json" || fail "the report after the rewrite differs"
[[ ! -s $work/rewritten.err ]] || fail "the truncated file was not rewritten: $(cat "$work/rewritten.err")"
echo "symbol cache: ${#formats[@]} formats + --all text of 2 runs byte-identical uncached, cold and warm ($cached modules cached)"
