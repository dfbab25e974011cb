#!/usr/bin/env bash
# make test-windows: build the Go test binaries of the packages with Windows
# code for windows/amd64 and run them under Wine, each in its package
# directory as go test would. Wine 8 lacks bcryptprimitives.dll (ProcessPrng,
# which the Go runtime needs), so the project builds a stand-in from
# build/wine/bcryptprimitives.c into the Wine prefix first.
#
# Test binaries are built without cgo: SQLite is then modernc.org/sqlite, the
# driver the cgo-less release builds use, and no C toolchain build of SQLite
# for mingw is needed (the product's cgo Windows build is checked by make cross).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-$ROOT/bin/windows-test}
export WINEPREFIX=${WINEPREFIX:-$ROOT/bin/wine-prefix}
export WINEDEBUG=-all
export WINEDLLOVERRIDES="bcryptprimitives=n,b;mscoree,mshtml="
WINE=${WINE:-/usr/lib/wine/wine64}
# Packages with Windows code (per-OS files or Windows branches).
PKGS=${PKGS:-"host/safesocket host/paths host/atomicfile manifest install host/localclient host/chromeprofile host/firefoxprofile host/connector host/e2e/wine"}

mkdir -p "$OUT"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$OUT/bcryptprimitives.dll" build/wine/bcryptprimitives.c -ladvapi32
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "test-windows: creating the Wine prefix $WINEPREFIX"
  "$WINE" wineboot -i >/dev/null 2>&1
fi
cp "$OUT/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

for p in $PKGS; do
  n=${p//\//_}
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$OUT/$n.test.exe" "./$p"
done

# The end-to-end test (host/e2e/wine) drives this authbridge.exe; Wine
# sees the Unix root as drive Z:.
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -o "$OUT/authbridge.exe" ./host/cmd/authbridge
export AUTHBRIDGE_EXE="Z:${OUT//\//\\}\\authbridge.exe"

fail=0
total_pass=0
for p in $PKGS; do
  n=${p//\//_}
  [ -f "$OUT/$n.test.exe" ] || { echo "ok   $p [no test files]"; continue; }
  start=$SECONDS
  if (cd "$p" && timeout 900 "$WINE" "$OUT/$n.test.exe" -test.v -test.timeout 600s ${TESTFLAGS:-} >"$OUT/$n.log" 2>&1); then
    passed=$(grep -cE -- '^\s*--- PASS' "$OUT/$n.log" || true)
    skipped=$(grep -cE -- '^\s*--- SKIP' "$OUT/$n.log" || true)
    total_pass=$((total_pass + passed))
    echo "ok   $p under Wine ($((SECONDS - start))s, $passed passed, $skipped skipped)"
    if [ "$skipped" != 0 ]; then
      fail=1
      echo "FAIL $p: tests skipped at run time (build-tag Unix-only tests instead)"
      grep -E -A2 -- '--- SKIP' "$OUT/$n.log" | head -20
    fi
  else
    fail=1
    echo "FAIL $p under Wine ($((SECONDS - start))s)"
    grep -E -- '--- FAIL|_test.go:[0-9]+:|panic:' "$OUT/$n.log" | head -40 || true
  fi
done
echo "test-windows: $total_pass passed under Wine"
exit $fail
