#!/usr/bin/env bash
# Installs leakscope from the build tree into a temporary prefix, builds the example consumer project
# (docs/examples/cmake-consumer) against that prefix only, and checks through CTest that its leaking
# test fails with the report in its output while its clean test passes. Then builds the Debian package,
# unpacks it into a temporary root and checks `leakscope run --check` exits 1 on the leaking program
# from the packaged paths.
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
echo "PASS"
