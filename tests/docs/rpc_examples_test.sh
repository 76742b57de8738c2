#!/bin/bash
# Builds and runs the RPC examples of docs/RPC.md, each against the test peer
# of its protocol, and checks what they print:
#  - C (examples/c/rpc_{jsonrpc,msgpack,protobuf}.c) against the staged
#    <wsc/wsc_rpc.h> and this build's libwsc, strict flags;
#  - C++ (examples/cpp/rpc_{jsonrpc,msgpack,protobuf}.cpp) with msgpack-cxx and
#    libprotobuf (pkg-config protobuf);
#  - Python (examples/python/rpc.py PROTOCOL URL) through bindings/python;
#  - Go (examples/go/rpc, rpc_msgpack, rpc_protobuf) when GO is given: JSON-RPC
#    in module mode, the codec packages in GOPATH mode against Debian's Go
#    packages, as bindings/go/run_tests.sh does.
# Peers: tests/peers/node/jsonrpc_peer.js (JSON-RPC; skipped without npm
# install), msgpack_rpc_peer.py, protobuf_rpc_peer.py.
# Usage: rpc_examples_test.sh SOURCE_DIR INCLUDE_DIR BUILD_DIR CC CXX [GO]
set -euo pipefail
src=$1 inc=$2 build=$3 cc=$4 cxx=$5 go=${6:-}
work=$(mktemp -d)
peer_pids=()
# The peers' stdin: a FIFO this shell holds open, so they exit at its EOF
# when the test ends, whatever happens.
mkfifo "$work/stdin"
stdin_open=
cleanup() {
  for pid in "${peer_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_peer NAME COMMAND...: runs a peer that prints "PORT n"; sets url.
start_peer() {
  local name=$1
  shift
  "$@" < "$work/stdin" > "$work/$name.port" 2> "$work/$name.err" &
  peer_pids+=($!)
  if [ -z "$stdin_open" ]; then exec 3> "$work/stdin"; stdin_open=1; fi
  local tries=0
  until grep -q '^PORT ' "$work/$name.port" 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 300 ] || fail "$name peer did not start: $(cat "$work/$name.err")"
    sleep 0.1
  done
  url="ws://127.0.0.1:$(sed -n 's/^PORT \([0-9]*\).*/\1/p' "$work/$name.port" | head -1)/"
}

# expect NAME PATTERN... COMMAND: runs COMMAND, which must exit 0 and print a
# line matching each PATTERN (grep -E).
expect() {
  local name=$1 patterns=() p
  shift
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  "$@" > "$work/out.txt" 2>&1 || fail "$name: exit $?: $(cat "$work/out.txt")"
  for p in "${patterns[@]}"; do
    grep -Eq "$p" "$work/out.txt" || fail "$name: no line matching '$p' in: $(cat "$work/out.txt")"
  done
  echo "ok: $name: $(tr '\n' ' ' < "$work/out.txt")"
}

for proto in jsonrpc msgpack protobuf; do
  "$cc" -std=c99 -Wall -Wextra -Werror -I"$inc" "$src/examples/c/rpc_$proto.c" -L"$build" \
    -lwsc -Wl,-rpath,"$build" -o "$work/c_$proto" || fail "examples/c/rpc_$proto.c does not build"
done
cxxflags=(-std=c++17 -Wall -Wextra -Werror -I"$inc" -I"$src/include" -DMSGPACK_NO_BOOST)
for proto in jsonrpc msgpack protobuf; do
  extra=()
  [ $proto = protobuf ] && read -ra extra <<< "$(pkg-config --cflags --libs protobuf)"
  "$cxx" "${cxxflags[@]}" "$src/examples/cpp/rpc_$proto.cpp" -L"$build" -lwsc \
    -Wl,-rpath,"$build" "${extra[@]}" -lpthread -o "$work/cpp_$proto" ||
    fail "examples/cpp/rpc_$proto.cpp does not build"
done

export WSC_LIBRARY="$build/libwsc.so.0" PYTHONPATH="$src/bindings/python" PYTHONDONTWRITEBYTECODE=1
if [ -n "$go" ]; then
  gobase="$work/go"
  mkdir -p "$gobase/include" "$gobase/cache" "$gobase/path" "$gobase/tmp" "$gobase/gopath/src/wsc.example"
  cp -r "$inc/wsc" "$gobase/include/"
  ln -s "$src/bindings/go" "$gobase/gopath/src/wsc.example/wsc"
  ln -s "$src/examples/go" "$gobase/gopath/src/wsc.example/examples"
  export PKG_CONFIG_PATH="$build/meson-uninstalled" LD_LIBRARY_PATH="$build" CGO_ENABLED=1
  export CGO_CFLAGS="-g -O2 -I$gobase/include" GOCACHE="$gobase/cache" GOTMPDIR="$gobase/tmp"
  export GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local
  (cd "$src/examples/go" && GO111MODULE=on GOPATH="$gobase/path" "$go" build -o "$work/go_jsonrpc" ./rpc) ||
    fail "examples/go/rpc does not build"
  for proto in msgpack protobuf; do
    GO111MODULE=off GOPATH="$gobase/gopath:/usr/share/gocode" \
      "$go" build -o "$work/go_$proto" "wsc.example/examples/rpc_$proto" ||
      fail "examples/go/rpc_$proto does not build"
  done
fi

run_all() {  # run_all PROTOCOL PATTERN...: every language's example against $url
  local proto=$1
  shift
  expect "c $proto" "$@" -- "$work/c_$proto" "$url"
  expect "c++ $proto" "$@" -- "$work/cpp_$proto" "$url"
  expect "python $proto" "$@" -- /usr/bin/python3 "$src/examples/python/rpc.py" "$proto" "$url"
  if [ -n "$go" ]; then expect "go $proto" "$@" -- "$work/go_$proto" "$url"; fi
}

if [ -d "$src/tests/peers/node/node_modules/json-rpc-2.0" ]; then
  start_peer jsonrpc node "$src/tests/peers/node/jsonrpc_peer.js"
  run_all jsonrpc '^add -> 5$'
else
  echo "skip: JSON-RPC examples (run npm install in tests/peers/node)"
fi
start_peer msgpack /usr/bin/python3 "$src/tests/peers/msgpack_rpc_peer.py"
run_all msgpack '^add -> 5$'
start_peer protobuf /usr/bin/python3 "$src/tests/peers/protobuf_rpc_peer.py"
run_all protobuf '^add -> 5(\.0)?$'
echo "rpc_examples_test: PASS"
