#!/bin/sh
# Runs `go vet` and `go test -race` for the Go binding against a meson build
# that is not installed. Usage: run_tests.sh BUILD_DIR SOURCE_DIR [go test args...]
#
# - pkg-config finds build/meson-uninstalled/wsc-uninstalled.pc (pkg-config
#   prefers NAME-uninstalled.pc when it is on the path).
# - That .pc has -IBUILD_DIR/include, where meson copies <wsc/wsc.h> and
#   <wsc/wsc_rpc.h> (include/wsc/meson.build): the installed names resolve.
# - GOCACHE, GOPATH and GOTMPDIR live under BUILD_DIR/go so a clean clone
#   works and nothing is written to $HOME; no network: GOPROXY=off,
#   GOTOOLCHAIN=local, GOFLAGS=-buildvcs=false (standard library only;
#   wscprom, msgpackrpc and pbrpc below use Debian's Go packages).
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
shift 2

gobase="$build/go"
mkdir -p "$gobase/cache" "$gobase/path" "$gobase/tmp"

export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CGO_ENABLED=1
export CGO_CFLAGS="-g -O2"
export GOCACHE="$gobase/cache" GOPATH="$gobase/path" GOTMPDIR="$gobase/tmp"
export GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
export WSC_CLI="${WSC_CLI:-$build/tools/wsc}" WSC_SOURCE_DIR="$src" WSC_BUILD_DIR="$build"

cd "$src/bindings/go"
GO="${GO:-go}"
"$GO" version
"$GO" vet ./...
# -v prints one "--- PASS/FAIL" line per test, which the CI summary counts.
"$GO" test -race -count=1 -v "$@" ./...

# wscprom (the prometheus.Collector), msgpackrpc and pbrpc (the RPC client
# with Go codecs) are their own modules, so the binding needs only the
# standard library. Offline they build in GOPATH mode against Debian's Go
# packages in /usr/share/gocode, with the binding reached as wsc.example/wsc
# through a symlink. Each runs when its Debian package is installed.
gocode=/usr/share/gocode
mkdir -p "$gobase/gopath/src/wsc.example"
ln -sfn "$src/bindings/go" "$gobase/gopath/src/wsc.example/wsc"
for sub in wscprom:github.com/prometheus/client_golang/prometheus \
  msgpackrpc:github.com/vmihailenco/msgpack/v5 pbrpc:google.golang.org/protobuf/proto; do
  pkg=${sub%%:*} needs=${sub#*:}
  if [ ! -d "$gocode/src/$needs" ]; then
    echo "SKIP $pkg: $needs is not installed in $gocode (scripts/bootstrap.sh)"
    continue
  fi
  (
    cd "$gobase/gopath/src/wsc.example/wsc/$pkg"
    GO111MODULE=off GOPATH="$gobase/gopath:$gocode" "$GO" vet .
    GO111MODULE=off GOPATH="$gobase/gopath:$gocode" "$GO" test -race -count=1 -v .
  )
done
