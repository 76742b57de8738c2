# Sourced (POSIX sh) by the tests that run documented examples (README
# snippets, the guides' examples): a scratch directory $work and a
# `wsc serve` echo server on loopback ($cli is the wsc command), both
# cleaned up at exit.
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server PORT: `wsc serve` on PORT (0: a free one); sets server_pid, port.
start_server() {
  "$cli" serve --port "$1" > "$work/serve.txt" 2>/dev/null &
  server_pid=$!
  tries=0
  until grep -q 'listening on' "$work/serve.txt" 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 100 ] || fail "wsc serve --port $1 did not start"; sleep 0.1
  done
  port=$(sed -n 's/.*listening on ws:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/serve.txt" | head -1)
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

# check_hi_then_refused COMMAND...: COMMAND URL against `wsc serve` prints
# exactly "hi" and exits 0; against the same port once closed it exits
# non-zero and names the address on stderr (left in $work/err.txt).
check_hi_then_refused() {
  start_server 0
  out=$("$@" "ws://127.0.0.1:$port/" 2>"$work/err.txt") ||
    fail "against wsc serve: exit $?: $(cat "$work/err.txt")"
  [ "$out" = "hi" ] || fail "against wsc serve printed '$out', want 'hi'"
  stop_server
  if "$@" "ws://127.0.0.1:$port/" > "$work/out.txt" 2> "$work/err.txt"; then
    fail "a refused connection exited 0"
  fi
  grep -q "127.0.0.1:$port" "$work/err.txt" ||
    fail "stderr does not name the address: $(cat "$work/err.txt")"
}
