#!/usr/bin/env bash
# The persistent symbol cache changes no byte of any format: the same real runs (ci_program leaking,
# and python3, whose exit-leak stacks cross libpython, libc and ld.so) are reported in every format
# with --no-cache, with an empty cache (cold: it is filled) and with that cache (warm: read, no debug
# info opened for what it holds), with every cache file truncated (one warning for the report, same
# bytes), and with the program's entry edited into another well-formed one (the checksum refuses it).
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

# Every entry cut in half: each ignored and rewritten, and one warning for the whole report saying how
# many (not one per file).
find "$work/cache/leakscope" -type f | while read -r file; do truncate -s $(( $(stat -c %s "$file") / 2 )) "$file"; done
XDG_CACHE_HOME=$work/cache capture corrupt "$leakscope" report "$work/py.snapshots" --format json
expect_status corrupt 0
cmp "$work/corrupt.out" "$work/uncached/py.json" || fail "the report over a truncated cache differs"
[[ $(wc -l <"$work/corrupt.err") == 1 ]] || fail "expected one warning line for the report, got: $(cat "$work/corrupt.err")"
grep -Eq "^leakscope: warning: symbol cache $work/cache/leakscope: ([2-9]|[1-9][0-9]+) entries unreadable \(.*\); ignored, they are rebuilt\$" \
  "$work/corrupt.err" || fail "expected one warning counting the unreadable entries (python3 and libc at least), got: $(cat "$work/corrupt.err")"
XDG_CACHE_HOME=$work/cache capture rewritten "$leakscope" report "$work/py.snapshots" --format json
cmp "$work/rewritten.out" "$work/uncached/py.json" || fail "the report after the rewrite differs"
[[ ! -s $work/rewritten.err ]] || fail "the truncated files were not rewritten: $(cat "$work/rewritten.err")"

# The program's entry edited into another well-formed one (its leaking function renamed, same length):
# only the checksum tells, and the report must not name the edited function.
XDG_CACHE_HOME=$work/cache capture refill "$leakscope" report "$work/ci.snapshots" --format json
expect_status refill 0
ci_id=$(readelf -n "$program" | sed -n 's/.*Build ID: *//p')
victim=$work/cache/leakscope/$ci_id
grep -q keep_request_buffer "$victim" || fail "the program's cache entry $victim does not hold keep_request_buffer"
sed -i 's/keep_request_buffer/kept_request_buffer/' "$victim"
XDG_CACHE_HOME=$work/cache capture edited "$leakscope" report "$work/ci.snapshots" --format json
expect_status edited 0
cmp "$work/edited.out" "$work/uncached/ci.json" || fail "the report trusted an edited cache entry: $(grep -o 'kept_request_buffer' "$work/edited.out" | head -1)"
[[ $(cat "$work/edited.err") == "leakscope: warning: symbol cache $work/cache/leakscope: 1 entry unreadable ($ci_id: its checksum does not match its content: edited or damaged); ignored, it is rebuilt" ]] \
  || fail "expected one warning naming the edited entry, got: $(cat "$work/edited.err")"
echo "symbol cache: ${#formats[@]} formats + --all text of 2 runs byte-identical uncached, cold and warm ($cached modules cached)"
