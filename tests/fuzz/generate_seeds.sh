#!/usr/bin/env bash
# Makes the generated part of the fuzz seed corpus from real runs of this build's preload:
#   OUT/snapshot_reader/  snapshots written by torture programs (api-free: exit snapshots of a program
#                         that dlcloses a plugin, and of an exception-heavy one)
#   OUT/baseline/         a baseline written by `leakscope check --update-baseline` from those snapshots
#   OUT/suppressions/     (empty: the hand-written seeds in tests/fuzz/seeds/suppressions suffice)
# usage: generate_seeds.sh OUT PRELOAD ANALYZER DLOPEN_PROGRAM PLUGIN EXCEPTION_PROGRAM
set -euo pipefail
out=$1 preload=$2 analyzer=$3 dlopen_program=$4 plugin=$5 exception_program=$6
rm -rf "$out"
mkdir -p "$out/snapshot_reader" "$out/baseline" "$out/suppressions"
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

LD_PRELOAD=$preload LEAKSCOPE_OUTPUT_DIR=$runs/dlopen LEAKSCOPE_DEPTH=8 "$dlopen_program" "$plugin" >/dev/null
LD_PRELOAD=$preload LEAKSCOPE_OUTPUT_DIR=$runs/exceptions LEAKSCOPE_DEPTH=4 "$exception_program" >/dev/null
cp "$runs"/dlopen/*.lksnap "$runs"/exceptions/*.lksnap "$out/snapshot_reader/"

# check exits 1 when it finds leaks (the plugin's records are one): the baseline is written either way.
"$analyzer" check "$runs/dlopen" --fail-on exit_leak --baseline "$out/baseline/real.json" --update-baseline >/dev/null || true
test -s "$out/baseline/real.json"
echo "seeds: $(ls "$out/snapshot_reader" | wc -l) snapshots, $(ls "$out/baseline" | wc -l) baseline"
