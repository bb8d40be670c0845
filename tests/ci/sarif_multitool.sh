#!/usr/bin/env bash
# SARIF of a real leaking run as GitHub code scanning takes it, judged by Microsoft's SARIF multitool
# with its GitHub rules (`validate --rule-kind "Sarif;Gh"`; scripts/setup sarif installs it). Also:
# results located in the program's own code relative to the source root, %SRCROOT% declared.
# Exit 77 (CTest: skipped) when the multitool is not installed.
#   sarif_multitool.sh LEAKSCOPE SOURCE_DIR
source "$(dirname "$0")/lib.sh"
leakscope=$1 source=$2
multitool=${SARIF_MULTITOOL:-$(command -v sarif-multitool || true)}
if [[ -z "$multitool" || ! -x "$multitool" ]]; then
  echo "SKIP: the SARIF multitool is not installed (scripts/setup sarif; or set SARIF_MULTITOOL)"
  exit 77
fi
make_repo "$source"

# From a subdirectory: the default source root is the git top-level, not the cwd.
mkdir "$work/repo/build"
cd "$work/repo/build"
capture leak "$leakscope" run --out "$work/snapshots" --check --format sarif --output "$work/leak.sarif" -- "$program" --leak
expect_status leak 1
cd "$work"
capture explicit "$leakscope" report "$work/snapshots" --source-root "$work/repo" --format sarif --output "$work/explicit.sarif"
expect_status explicit 0
# Same results (in any order: findings of equal weight have no fixed order) at the same places.
python3 - "$work/leak.sarif" "$work/explicit.sarif" <<'PY' || fail "--source-root $work/repo differs from the default from its subdirectory"
import json, sys
def places(path):
    results = json.load(open(path))["runs"][0]["results"]
    return sorted(json.dumps([r["message"]["text"], r["locations"]], sort_keys=True) for r in results)
sys.exit(places(sys.argv[1]) != places(sys.argv[2]))
PY

validate() {  # validate FILE: the multitool's findings (errors and warnings) as lines, into $work/findings
  rm -f "$work/validation.sarif"
  capture validate "$multitool" validate --rule-kind "Sarif;Gh" -o "$work/validation.sarif" "$1"
  [[ -s "$work/validation.sarif" ]] || { cat "$work/validate.out" "$work/validate.err" >&2; fail "the multitool wrote no log"; }
  python3 - "$work/validation.sarif" >"$work/findings" <<'PY'
import json, sys
for run in json.load(open(sys.argv[1]))["runs"]:
    for r in run.get("results", []):
        if r.get("level", "warning") in ("error", "warning"):
            print(r["ruleId"], r["message"].get("text", r["message"].get("arguments")))
PY
}

# The validator itself must catch what GitHub rejects: a result without a location.
python3 - "$work/leak.sarif" "$work/broken.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
log["runs"][0]["results"][0]["locations"] = []
json.dump(log, open(sys.argv[2], "w"))
PY
validate "$work/broken.sarif"
grep -q "^GH" "$work/findings" || fail "the multitool's GitHub rules did not flag a result without a location"

validate "$work/leak.sarif"
[[ ! -s "$work/findings" ]] || { cat "$work/findings" >&2; fail "the multitool (GitHub rules) rejects leakscope's SARIF"; }

python3 - "$work/leak.sarif" "$work/repo" <<'PY'
import json, sys
log, root = json.load(open(sys.argv[1])), sys.argv[2]
run = log["runs"][0]
def fail(message): sys.exit(f"FAIL: {message}")
if run["originalUriBaseIds"]["%SRCROOT%"]["uri"] != f"file://{root}/": fail(f"%SRCROOT% is {run['originalUriBaseIds']}")
for rule in run["tool"]["driver"]["rules"]:
    for key in ("fullDescription", "help", "helpUri"):
        if key not in rule: fail(f"rule {rule['id']} lacks {key}")
    if "invalid" in rule["helpUri"] or "example" in rule["helpUri"]: fail(f"placeholder helpUri {rule['helpUri']}")
growth = [r for r in run["results"] if r["ruleId"] == "growth" and "keep_request_buffer" in r["message"]["text"]]
if not growth: fail("no growth result for keep_request_buffer")
for r in run["results"]:
    where = r["locations"][0]["physicalLocation"]
    if where["artifactLocation"].get("uriBaseId") != "%SRCROOT%" or where["artifactLocation"]["uri"] != "src/ci_program.c":
        fail(f"result {r['message']['text']!r} is located at {where['artifactLocation']}, not src/ci_program.c under %SRCROOT%")
    if where.get("region", {}).get("startLine", 0) <= 0: fail(f"result {r['message']['text']!r} has no line")
print("sarif ok:", len(run["results"]), "results")
PY
echo PASS
