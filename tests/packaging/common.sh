# Shared by the packaging tests (sourced; POSIX sh). make_scratch sets TMP,
# removed at exit together with a server start_serve started.

# fail MESSAGE: the test's verdict, on stderr.
fail() {
  echo "$(basename "$0" .sh): FAIL: $*" >&2
  exit 1
}

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}

# make_scratch NAME: TMP = a fresh directory, removed (and the server
# stopped) when the script exits.
make_scratch() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsc-$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 1' INT TERM
}

# start_serve WSC_BINARY: runs `wsc serve` on an ephemeral loopback port in
# the background and sets URL to its ws://127.0.0.1:PORT/.
start_serve() {
  : >"$TMP/serve.out"  # exists before the background shell opens it
  "$1" serve --port 0 --bind 127.0.0.1 >"$TMP/serve.out" 2>"$TMP/serve.err" &
  SERVER_PID=$!
  URL=
  i=0
  while [ $i -lt 100 ]; do
    URL=$(sed -n 's/^listening on \(ws:[^ ]*\).*/\1/p' "$TMP/serve.out")
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.err" >&2; fail "wsc serve exited"; }
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$URL" ] || fail "wsc serve printed no 'listening on' line"
  URL=$URL/
  echo "server: $URL"
}

# check NAME EXPECTED STDIN CMD...: run a consumer with STDIN as its input and
# compare the "echo: " lines of its stdout with EXPECTED.
check() {
  name=$1 expected=$2 input=$3
  shift 3
  rc=0
  "$@" <"$input" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  sed -n '/^echo: /p' "$TMP/$name.out" >"$TMP/$name.echoes"
  if [ "$rc" -ne 0 ] || [ "$(cat "$TMP/$name.echoes")" != "$expected" ]; then
    echo "--- $name stdout:" >&2; cat "$TMP/$name.out" >&2
    echo "--- $name stderr:" >&2; cat "$TMP/$name.err" >&2
    fail "$name: exit $rc, expected echoes:
$expected"
  fi
  echo "ok: $name"
}

# The echoes every echo_chat example prints for: argv "hello" "wsc world";
# stdin $TMP/lines (written by write_lines; its empty line is skipped).
nl='
'
ARGV_ECHOES="echo: hello${nl}echo: wsc world"
STDIN_ECHOES="echo: one${nl}echo: two${nl}echo: three"
write_lines() { printf 'one\ntwo\n\nthree\n' >"$TMP/lines"; }

# check_go_example: builds examples/go (cgo through bindings/go, finding
# libwsc with `pkg-config wsc` as the environment sets it up) offline with a
# fresh cache under $TMP/go (a shared one can hold cgo flags naming an
# earlier run's paths), and checks its echoes against $URL. Skips without
# $GO (default go; "" = skip).
check_go_example() {
  GO=${GO-go}
  if [ -z "$GO" ] || ! command -v "$GO" >/dev/null 2>&1; then
    echo "skip: Go example (no go)"
    return 0
  fi
  mkdir -p "$TMP/go/cache" "$TMP/go/path" "$TMP/go/tmp"
  (
    cd "$SRC/examples/go" &&
      env GOCACHE="$TMP/go/cache" GOPATH="$TMP/go/path" GOTMPDIR="$TMP/go/tmp" CGO_ENABLED=1 \
        GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on \
        "$GO" build -o "$TMP/echo_chat_go" .
  ) >"$TMP/go-build.log" 2>&1 || { cat "$TMP/go-build.log" >&2; fail "Go example did not build"; }
  check go_argv "$ARGV_ECHOES" /dev/null "$TMP/echo_chat_go" "$URL" hello "wsc world"
  check go_stdin "$STDIN_ECHOES" "$TMP/lines" "$TMP/echo_chat_go" "$URL"
}
