#!/bin/bash
# Builds the guides' C examples (examples/c/backpressure.c,
# many_connections.c, reconnect.c) against the staged <wsc/wsc.h> and this
# build's libwsc with strict flags, and runs each against `wsc serve` as
# its guide says:
#  - backpressure: 500 x 64 KiB through a 256 KiB send queue; every echo back;
#  - many_connections: 300 connections on one loop, 300 echoes, clean closes;
#  - reconnect: the server is stopped and restarted on the same port while
#    it ticks; it must reconnect (state and "reconnects so far: 1" lines)
#    and the last tick's echo must come back.
# Usage: guide_examples_test.sh SOURCE_DIR INCLUDE_DIR BUILD_DIR CC WSC_CLI
set -euo pipefail
src=$1 inc=$2 build=$3 cc=$4 cli=$5
. "$(dirname "$0")/serve_lib.sh"

for example in backpressure many_connections reconnect; do
  "$cc" -std=c99 -Wall -Wextra -Werror -I"$inc" "$src/examples/c/$example.c" -L"$build" -lwsc \
    -Wl,-rpath,"$build" -lpthread -o "$work/$example" || fail "examples/c/$example.c does not build"
done

start_server 0
url="ws://127.0.0.1:$port/"
"$work/backpressure" "$url" 500 65536 > "$work/bp.txt" 2>&1 ||
  fail "backpressure: $(cat "$work/bp.txt")"
grep -q "received 500 echoes, 32768000 bytes" "$work/bp.txt" || fail "backpressure: $(cat "$work/bp.txt")"
echo "ok: backpressure: $(tr '\n' ' ' < "$work/bp.txt")"

"$work/many_connections" "$url" 300 > "$work/many.txt" 2>&1 ||
  fail "many_connections: $(cat "$work/many.txt")"
echo "ok: many_connections: $(tr '\n' ' ' < "$work/many.txt")"

"$work/reconnect" "$url" 3 > "$work/reconnect.txt" 2>&1 &
client=$!
sleep 1
stop_server
sleep 1
start_server "$port"
rc=0
wait "$client" || rc=$?
[ $rc -eq 0 ] || fail "reconnect: exit $rc: $(cat "$work/reconnect.txt")"
grep -q "state OPEN -> RECONNECTING" "$work/reconnect.txt" || fail "reconnect: never reconnected: $(cat "$work/reconnect.txt")"
grep -q "open (reconnects so far: 1)" "$work/reconnect.txt" || fail "reconnect: $(cat "$work/reconnect.txt")"
echo "ok: reconnect: $(tail -1 "$work/reconnect.txt")"
