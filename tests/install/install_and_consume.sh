#!/usr/bin/env bash
# Installs leakscope from the build tree into a temporary prefix, builds the example consumer project
# (docs/examples/cmake-consumer) against that prefix only, and checks through CTest that its leaking
# test fails with the report in its output while its clean test passes. Then builds the Debian package,
# unpacks it into a temporary root and checks `leakscope run --check` exits 1 on the leaking program
# from the packaged paths, that its binaries are stripped, and that the man page, the bash completion,
# the copyright file, the CI templates and the examples are in it. As root (and with no leakscope
# package installed) it installs the package with dpkg, checks `man leakscope`, the completion and the
# shipped example project against /usr, and removes the package again.
#   install_and_consume.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/leakscope lib/leakscope/libleakscope.so include/leakscope/leakscope.h \
         lib/cmake/leakscope/leakscopeConfig.cmake share/pkgconfig/leakscope.pc; do
  [[ -e "$work/prefix/$f" ]] || fail "installed tree lacks $f"
done
cflags=$(PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" pkg-config --cflags leakscope | xargs)
[[ "$cflags" == -I* && $(realpath -m "${cflags#-I}") == $(realpath "$work/prefix/include") ]] \
  || fail "pkg-config --cflags leakscope gives '$cflags', not the prefix's include directory"

echo "== consumer project against the installed package"
consumer="$work/consumer"
cmake -S "$source/docs/examples/cmake-consumer" -B "$consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$consumer" >/dev/null
set +e
ctest_out=$(cd "$consumer" && ctest --output-on-failure 2>&1)
ctest_status=$?
set -e
echo "$ctest_out"
[[ $ctest_status -ne 0 ]] || fail "ctest passed although sessions_leaky leaks"
grep -Eq "sessions_clean .*Passed" <<<"$ctest_out" || fail "sessions_clean did not pass"
grep -Eq "sessions_leaky .*Failed" <<<"$ctest_out" || fail "sessions_leaky did not fail"
grep -q "session_open" <<<"$ctest_out" || fail "the failing test's output does not name session_open"
for f in report.md report.junit.xml report.sarif; do
  [[ -s "$consumer/leakscope/sessions_leaky/$f" ]] || fail "sessions_leaky wrote no $f"
done

echo "== Debian package"
(cd "$build" && cpack -G DEB -B "$work/deb" >/dev/null)
deb=$(ls "$work"/deb/leakscope_*.deb | head -n 1)
[[ -f "$deb" ]] || fail "cpack produced no .deb"
# Captured first: `dpkg-deb -I | grep -q` under pipefail fails when grep exits before dpkg-deb is done (SIGPIPE).
control=$(dpkg-deb -I "$deb")
grep -q "Package: leakscope" <<<"$control" || fail "$deb has no leakscope control data"
dpkg-deb -x "$deb" "$work/root"
set +e
"$work/root/usr/bin/leakscope" run --out "$work/deb-snapshots" --check -- "$consumer/session_cycles" --leak >"$work/deb-run.txt" 2>&1
status=$?
set -e
cat "$work/deb-run.txt"
[[ $status -eq 1 ]] || fail "packaged leakscope run --check exited $status on a leaking program (expected 1)"

echo "== packaged files"
doc="$work/root/usr/share/doc/leakscope"
for f in usr/share/man/man1/leakscope.1 usr/share/bash-completion/completions/leakscope usr/share/doc/leakscope/copyright \
         usr/share/doc/leakscope/ci/github-actions.yml usr/share/doc/leakscope/ci/gitlab-ci.yml \
         usr/share/doc/leakscope/examples/cmake-consumer/CMakeLists.txt usr/share/doc/leakscope/examples/cmake-consumer/session_cycles.c; do
  [[ -s "$work/root/$f" ]] || fail "the package lacks $f"
done
for f in usr/bin/leakscope usr/lib/leakscope/libleakscope.so; do
  sections=$(readelf -S --wide "$work/root/$f")
  grep -Eq "\.debug_info|\.symtab" <<<"$sections" && fail "$f in the package is not stripped"
done
# The man page names every option the commands' --help shows.
man_source=$(sed 's/\\-/-/g' "$work/root/usr/share/man/man1/leakscope.1")
for command in run report check diff; do
  help=$("$work/root/usr/bin/leakscope" "$command" --help)
  for option in $(grep -oE -- "--[a-z][a-z-]+" <<<"$help" | sort -u); do
    grep -qF -- "$option" <<<"$man_source" || fail "leakscope $command --help has $option, the man page does not"
  done
done

# check_first_use PREFIX: man page, completion and the shipped example project, installed under PREFIX.
check_first_use() {
  local prefix=$1 man_text completion example="$work/example-$RANDOM"
  if [[ $prefix == /usr ]]; then man_text=$(MANWIDTH=100 man leakscope 2>&1); else man_text=$(MANWIDTH=100 man -l "$prefix/share/man/man1/leakscope.1" 2>&1); fi
  grep -q "EXIT STATUS" <<<"$man_text" || fail "man leakscope ($prefix) shows no EXIT STATUS section: $man_text"
  completion=$(bash -c 'source "$1"; COMP_WORDS=(leakscope ru); COMP_CWORD=1; _leakscope; echo "${COMPREPLY[*]}";
                        COMP_WORDS=(leakscope diff --format ""); COMP_CWORD=3; _leakscope; echo "${COMPREPLY[*]}"' \
               _ "$prefix/share/bash-completion/completions/leakscope")
  [[ $completion == $'run\ntext json markdown' ]] || fail "bash completion ($prefix) gives '$completion'"
  cp -r "$prefix/share/doc/leakscope/examples/cmake-consumer" "$example"
  cmake -S "$example" -B "$example/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$example/build" >/dev/null
  set +e
  example_out=$(ctest --test-dir "$example/build" --output-on-failure 2>&1)
  set -e
  grep -Eq "sessions_clean .*Passed" <<<"$example_out" && grep -Eq "sessions_leaky .*Failed" <<<"$example_out" \
    || fail "the shipped example ($prefix) did not give one passing and one failing test: $example_out"
}

echo "== first use from the unpacked package"
check_first_use "$work/root/usr"

installed=$(dpkg-query -W -f='${Status}' leakscope 2>/dev/null || true)
if [[ $(id -u) -eq 0 && "$installed" != *" installed" ]]; then
  echo "== dpkg -i $deb"
  # One package install at a time on this machine (other build trees may run this test too).
  exec 9>/tmp/leakscope-install-test.lock
  flock 9
  trap 'dpkg -P leakscope >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  dpkg -i "$deb" >/dev/null
  check_first_use /usr
  dpkg -P leakscope >/dev/null  # purge: no "config-files" state left behind
else
  echo "note: not root, or a leakscope package is already installed: the dpkg -i half did not run"
fi
echo "PASS"
