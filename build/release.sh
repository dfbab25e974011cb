#!/usr/bin/env bash
# make release: the release archives from one command, into bin/release/.
#   authbridge_<version>_<os>_<arch>.tar.gz (linux, darwin) or .zip (windows):
#     the authbridge binary, README.md, PROTOCOL.md, docs/platforms.md
#   authbridge-extension.zip   (make extension-zip: the Chrome Web Store package, no key)
#   authbridge-extension-firefox.zip (make extension-zip: the Firefox package)
#   authbridge-client-<v>.tgz  (npm pack of clients/node)
#   authbridge_<v>_<arch>.deb, authbridge-<v>-1.<arch>.rpm (linux amd64, arm64;
#     /usr/bin/authbridge and its docs; nFPM in build/pkg, its own module)
#   checksums.txt              (SHA-256 of every file above)
# linux/amd64 is built with cgo (mattn/go-sqlite3, as make build); the other
# targets cannot cross-compile cgo here and use CGO_ENABLED=0, which selects
# the pure-Go modernc.org/sqlite driver (make test-nocgo tests it).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
OUT=${OUT:-bin/release}
LDFLAGS="-s -w -X github.com/authbridge/authbridge/host/cli.Version=$VERSION"
rm -rf "$OUT"
mkdir -p "$OUT"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do
  os=${target%/*}
  arch=${target#*/}
  cgo=0
  [ "$target" = linux/amd64 ] && cgo=1
  name=authbridge_${VERSION}_${os}_${arch}
  dir=$stage/$name
  mkdir -p "$dir/docs"
  exe=authbridge
  [ "$os" = windows ] && exe=authbridge.exe
  echo "release: $name (CGO_ENABLED=$cgo)"
  GOOS=$os GOARCH=$arch CGO_ENABLED=$cgo go build -ldflags "$LDFLAGS" -o "$dir/$exe" ./host/cmd/authbridge
  cp README.md PROTOCOL.md "$dir/"
  cp docs/platforms.md "$dir/docs/"
  if [ "$os" = windows ]; then
    (cd "$stage" && zip -qr "$OLDPWD/$OUT/$name.zip" "$name")
  else
    tar -C "$stage" -czf "$OUT/$name.tar.gz" "$name"
  fi
done

# Linux packages, through nFPM in its own module (build/pkg).
(cd build/pkg && go build -o "$stage/pkg" .)
for arch in amd64 arm64; do
  "$stage/pkg" -bin "$stage/authbridge_${VERSION}_linux_${arch}/authbridge" -version "$VERSION" -arch "$arch" \
    -out "$OUT" -doc README.md,PROTOCOL.md,docs/platforms.md >/dev/null
done

make --no-print-directory extension-zip >/dev/null
cp bin/authbridge-extension.zip bin/authbridge-extension-firefox.zip "$OUT/"
(cd clients/node && npm pack --silent --pack-destination "$OLDPWD/$OUT" >/dev/null)

(cd "$OUT" && sha256sum -- * | grep -v ' checksums.txt$' > checksums.txt)
echo "release: $(ls "$OUT" | wc -l) files in $OUT"
ls -l "$OUT"
