#!/bin/sh
# Compiles the README's C example exactly as written (taken from README.md, under its C example heading)
# against the staged <wsc/wsc.h> and this build's libwsc, then runs it:
#  - against a port where nothing listens: exit status 1 and the reason on
#    stderr ("could not connect" and the address);
#  - against `wsc serve`: prints the echo "hi" and exits 0.
# Usage: readme_c_test.sh README INCLUDE_DIR BUILD_DIR CC WSC_CLI [EXTRA_CFLAGS]
set -eu
readme=$1 inc=$2 build=$3 cc=$4 cli=$5 extra=${6:-}
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

awk '/^#+ C example/ {in_section = 1; next}
     /^#+ / {in_section = 0}
     in_section && /^```c$/ {code = 1; next}
     code && /^```$/ {exit}
     code {print}' "$readme" > "$work/demo.c"
[ -s "$work/demo.c" ] || fail "no C snippet under '### C example' in $readme"
# shellcheck disable=SC2086 # extra is zero or more flags
"$cc" -std=c99 -Wall -Wextra -Werror $extra -I"$inc" "$work/demo.c" -L"$build" -lwsc \
  -Wl,-rpath,"$build" -o "$work/demo" || fail "the README C example does not compile"

# A free loopback port: bound by a short-lived server, then released.
"$cli" serve --port 0 > "$work/port.txt" 2>/dev/null &
server_pid=$!
i=0
until grep -q 'listening on' "$work/port.txt" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || fail "wsc serve did not start"; sleep 0.1
done
port=$(sed -n 's/.*listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/port.txt" | head -1)

# Against the echo server.
out=$("$work/demo" "ws://127.0.0.1:$port/" 2>"$work/err.txt") ||
  fail "against wsc serve: exit $?: $(cat "$work/err.txt")"
[ "$out" = "hi" ] || fail "against wsc serve printed '$out', want 'hi'"

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=

# Refused: the same port, now closed.
if "$work/demo" "ws://127.0.0.1:$port/" > "$work/out.txt" 2> "$work/err.txt"; then
  fail "a refused connection exited 0"
fi
grep -q "could not connect" "$work/err.txt" || fail "stderr does not say why: $(cat "$work/err.txt")"
grep -q "127.0.0.1:$port" "$work/err.txt" || fail "stderr does not name the address: $(cat "$work/err.txt")"
echo "ok: README C example ($(cat "$work/err.txt"))"
