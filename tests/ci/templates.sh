#!/usr/bin/env bash
# The shell steps of the CI templates (docs/ci/*.yml) as the CI systems run them, in a fresh project
# directory: the first run (no baseline, no suppressions yet) works and creates them; a second run
# with them works; a leaking program fails the leakscope step with 1 and still writes every report.
# Only the steps that install packages or build the user's project are left out (the test provides
# `leakscope` on PATH and ./build/tests/session_cycles).
#   templates.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
mkdir -p "$work/bin" "$work/project/build/tests"
ln -s "$leakscope" "$work/bin/leakscope"
export PATH="$work/bin:$PATH"
cc -g -O1 -I"$source/include" -o "$work/session_cycles" "$source/docs/examples/cmake-consumer/session_cycles.c"
use_program() {  # use_program clean|leak: what ./build/tests/session_cycles does
  if [[ $1 == leak ]]; then
    printf '#!/bin/sh\nexec %q --leak\n' "$work/session_cycles" >"$work/project/build/tests/session_cycles"
  else
    printf '#!/bin/sh\nexec %q\n' "$work/session_cycles" >"$work/project/build/tests/session_cycles"
  fi
  chmod +x "$work/project/build/tests/session_cycles"
}

# steps TEMPLATE: one file per shell step to run, $work/steps/NN, in order.
steps() {
  rm -rf "$work/steps" && mkdir "$work/steps"
  python3 - "$1" "$work/steps" <<'PY'
import sys, yaml
template, out = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(template))
skip = ("apt-get", "cmake ")  # installing leakscope, building the user's project: the test provides both
if "jobs" in doc:  # GitHub Actions
    commands = [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
else:              # GitLab CI
    commands = [c for job in doc.values() if isinstance(job, dict) and "script" in job for c in job["script"]]
n = 0
for command in commands:
    if any(word in command for word in skip):
        continue
    n += 1
    open(f"{out}/{n:02d}", "w").write(command)
print(n, "steps")
PY
}

# run_steps NAME: runs each step like the CI runner (bash -e, pipefail for GitHub), stops at the first
# failing one; $status is that step's status (0 when all passed).
run_steps() {
  local name=$1 step
  status=0
  for step in "$work"/steps/*; do
    set +e
    (cd "$work/project" && GITHUB_STEP_SUMMARY="$work/summary.md" bash --noprofile --norc -eo pipefail "$step") \
      >>"$work/$name.out" 2>&1
    status=$?
    set -e
    ((status == 0)) || return 0
  done
}

for template in github-actions gitlab-ci; do
  rm -rf "$work/project"/{.leakscope*,leakscope*} "$work/summary.md"
  steps "$source/docs/ci/$template.yml"
  use_program clean
  run_steps "$template-first"
  expect_status "$template-first" 0
  [[ -s "$work/project/.leakscope-baseline.json" ]] || fail "$template: the first run did not create .leakscope-baseline.json"
  grep -q "created an empty .leakscope-baseline.json" "$work/$template-first.out" || fail "$template: no note about the created baseline"
  for report in leakscope.md leakscope.sarif leakscope.junit.xml; do
    [[ -s "$work/project/$report" ]] || fail "$template: no $report after the first run"
  done
  if [[ $template == github-actions ]]; then
    [[ -s "$work/project/.leakscope-suppressions" ]] || fail "github-actions: no .leakscope-suppressions created"
    grep -q "leakscope: clean" "$work/summary.md" || fail "github-actions: the job summary lacks the verdict"
  fi

  rm -rf "$work/project/leakscope-out"  # a CI job starts from a fresh checkout
  run_steps "$template-second"
  expect_status "$template-second" 0
  grep -q "created an empty" "$work/$template-second.out" && fail "$template: the second run recreated a file"

  rm -rf "$work/project/leakscope-out" "$work/project"/leakscope.*
  use_program leak
  run_steps "$template-leak"
  expect_status "$template-leak" 1
  grep -q "session_open" "$work/project/leakscope.md" || fail "$template: the leaking run's report does not name session_open"
done
echo PASS
