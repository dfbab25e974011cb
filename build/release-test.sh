#!/usr/bin/env bash
# make release-test: check what make release produced: every archive holds
# what docs/platforms.md says (the binary, README.md, PROTOCOL.md,
# docs/platforms.md), the checksums match, the Linux binary runs
# `authbridge version`, and the Windows one does under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bin/release}
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }
(cd "$OUT" && sha256sum -c --quiet checksums.txt) || { echo "FAIL: checksums"; fail=1; }
n=0
for os_arch in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64; do
  a=$(ls "$OUT"/authbridge_*_"$os_arch".* 2>/dev/null | head -1 || true)
  if [ -z "$a" ]; then echo "FAIL: no archive for $os_arch"; fail=1; continue; fi
  base=$(basename "$a"); base=${base%.tar.gz}; base=${base%.zip}
  exe=authbridge; [ "${os_arch%_*}" = windows ] && exe=authbridge.exe
  if [[ $a == *.zip ]]; then list=$(unzip -Z1 "$a"); else list=$(tar -tzf "$a"); fi
  for f in "$exe" README.md PROTOCOL.md docs/platforms.md; do
    grep -qx "$base/$f" <<<"$list" || { echo "FAIL: $a lacks $base/$f"; fail=1; }
  done
  n=$((n + 1))
done
elist=$(unzip -Z1 "$OUT/authbridge-extension.zip")
grep -qx 'manifest.json' <<<"$elist" || { echo "FAIL: extension zip lacks manifest.json"; fail=1; }
emanifest=$(unzip -p "$OUT/authbridge-extension.zip" manifest.json)
if grep -q '"key"' <<<"$emanifest"; then echo "FAIL: the Chrome Web Store zip carries a key"; fail=1; fi
flist=$(unzip -Z1 "$OUT/authbridge-extension-firefox.zip")
grep -qx 'manifest.json' <<<"$flist" || { echo "FAIL: Firefox package lacks manifest.json"; fail=1; }
tgz=$(ls "$OUT"/authbridge-client-*.tgz | head -1)
tlist=$(tar -tzf "$tgz")
for f in package/package.json package/index.js package/lib/paths.js; do
  grep -qx "$f" <<<"$tlist" || { echo "FAIL: $tgz lacks $f"; fail=1; }
done
for arch in amd64 arm64; do
  deb=$(ls "$OUT"/authbridge_*_"$arch".deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then echo "FAIL: no .deb for $arch"; fail=1; else
    dlist=$(dpkg-deb -c "$deb")
    for f in ./usr/bin/authbridge ./usr/share/doc/authbridge/README.md; do
      grep -q " $f\$" <<<"$dlist" || { echo "FAIL: $deb lacks $f"; fail=1; }
    done
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || { echo "FAIL: $deb architecture"; fail=1; }
  fi
  rarch=x86_64; [ "$arch" = arm64 ] && rarch=aarch64
  rpmf=$(ls "$OUT"/authbridge-*."$rarch".rpm 2>/dev/null | head -1 || true)
  # The RPM lead's magic number (no rpm tool on Debian by default).
  if [ -z "$rpmf" ] || [ "$(head -c4 "$rpmf" | od -An -tx1 | tr -d ' ')" != edabeedb ]; then echo "FAIL: no valid .rpm for $arch"; fail=1; fi
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$OUT"/authbridge_*_linux_amd64.tar.gz
v=$("$tmp"/authbridge_*_linux_amd64/authbridge version) || { echo "FAIL: linux binary version"; fail=1; }
echo "linux/amd64: $v"
if [ -x /usr/lib/wine/wine64 ]; then
  wzip=$(realpath "$(ls "$OUT"/authbridge_*_windows_amd64.zip)")
  (cd "$tmp" && unzip -q "$wzip")
  export WINEPREFIX=${WINEPREFIX:-$PWD/bin/wine-prefix} WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n,b"
  [ -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] || { echo "FAIL: run make test-windows first (Wine prefix with the shim)"; exit 1; }
  w=$(/usr/lib/wine/wine64 "$tmp"/authbridge_*_windows_amd64/authbridge.exe version | tr -d '\r') || { echo "FAIL: windows binary version"; fail=1; }
  echo "windows/amd64 under Wine: $w"
else
  echo "FAIL: wine64 missing (make wine)"; fail=1
fi
if [ $fail = 0 ]; then echo "release-test: $n archives checked"; echo "$((n + 8)) passed, 0 failed"; else echo "release-test: failures above"; fi
exit $fail
