#!/bin/sh
# Install test: `meson install --destdir` into a scratch stage, then build the
# C and C++ echo_chat examples with nothing but `pkg-config --cflags --libs wsc`
# against that stage and run them against the staged `wsc serve`.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR
# env:   MESON, PKG_CONFIG, CC, CXX (defaults: meson, pkg-config, cc, c++)
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
MESON=${MESON:-meson}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CC=${CC:-cc}
CXX=${CXX:-c++}

fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsc-install-test.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- install into the stage ------------------------------------------------
STAGE=$TMP/stage
"$MESON" install -C "$BUILD" --destdir "$STAGE" --no-rebuild --quiet >"$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log" >&2; fail "meson install --destdir failed"; }

# The configured prefix and libdir (absolute paths inside the stage).
intro() {
  "$MESON" introspect "$BUILD" --buildoptions |
    python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}[sys.argv[1]])' "$1"
}
PREFIX=$(intro prefix)
LIBDIR=$(intro libdir)
BINDIR=$(intro bindir)
INCLUDEDIR=$(intro includedir)
case $LIBDIR in /*) ;; *) LIBDIR=$PREFIX/$LIBDIR ;; esac
case $BINDIR in /*) ;; *) BINDIR=$PREFIX/$BINDIR ;; esac
case $INCLUDEDIR in /*) ;; *) INCLUDEDIR=$PREFIX/$INCLUDEDIR ;; esac

for f in "$INCLUDEDIR/wsc/wsc.h" "$INCLUDEDIR/wsc/status.h" "$INCLUDEDIR/wsc/client.hpp" \
  "$LIBDIR/libwsc.so.0" "$LIBDIR/pkgconfig/wsc.pc"; do
  [ -e "$STAGE$f" ] || fail "not installed: $f"
done
if [ ! -x "$STAGE$BINDIR/wsc" ]; then
  echo "install_test: SKIP: $BINDIR/wsc not installed (-Dtools=false)"
  exit 77
fi

# --- pkg-config against the stage ---------------------------------------------
# The .pc says prefix=$PREFIX; a copy with the prefix moved into the stage
# stands in for a package installed there. Everything else in it is relative
# to ${prefix}, so this also checks that wsc.pc is relocatable.
PCDIR=$TMP/pkgconfig
mkdir -p "$PCDIR"
sed "s|^prefix=.*|prefix=$STAGE$PREFIX|" "$STAGE$LIBDIR/pkgconfig/wsc.pc" >"$PCDIR/wsc.pc"
grep -q '^Requires.private:.*libwebsockets' "$PCDIR/wsc.pc" &&
  grep -q '^Requires.private:.*openssl' "$PCDIR/wsc.pc" ||
  fail "wsc.pc lacks Requires.private: libwebsockets, openssl"
PKG_CONFIG_PATH=$PCDIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
FLAGS=$("$PKG_CONFIG" --cflags --libs wsc) || fail "pkg-config --cflags --libs wsc failed"
echo "pkg-config --cflags --libs wsc: $FLAGS"
case $FLAGS in *"$STAGE"*) ;; *) fail "pkg-config flags do not point into the stage" ;; esac

# --- build the consumers: only the pkg-config flags, no source-tree paths --------
# shellcheck disable=SC2086  # $FLAGS is a list of flags
"$CC" -std=c99 -Wall -Wextra -pedantic -Werror -o "$TMP/echo_chat_c" \
  "$SRC/examples/c/echo_chat.c" $FLAGS || fail "C consumer did not build"
# shellcheck disable=SC2086
"$CXX" -std=c++17 -Wall -Wextra -Werror -o "$TMP/echo_chat_cpp" \
  "$SRC/examples/cpp/echo_chat.cpp" $FLAGS || fail "C++ consumer did not build"

# --- run them against the staged `wsc serve` ------------------------------------
LD_LIBRARY_PATH=$STAGE$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
"$STAGE$BINDIR/wsc" serve --port 0 --bind 127.0.0.1 >"$TMP/serve.out" 2>"$TMP/serve.err" &
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

# run NAME EXPECTED CMD...: run a consumer, compare its stdout with EXPECTED.
check() {
  name=$1 expected=$2
  shift 2
  rc=0
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  sed -n '/^echo: /p' "$TMP/$name.out" >"$TMP/$name.echoes"
  if [ "$rc" -ne 0 ] || [ "$(cat "$TMP/$name.echoes")" != "$expected" ]; then
    echo "--- $name stdout:" >&2; cat "$TMP/$name.out" >&2
    echo "--- $name stderr:" >&2; cat "$TMP/$name.err" >&2
    fail "$name: exit $rc, expected echoes:
$expected"
  fi
  echo "ok: $name"
}
nl='
'
check c_argv "echo: hello${nl}echo: wsc world" "$TMP/echo_chat_c" "$URL" hello "wsc world"
printf 'one\ntwo\n\nthree\n' >"$TMP/lines"
check c_stdin "echo: one${nl}echo: two${nl}echo: three" \
  sh -c '"$1" "$2" <"$3"' sh "$TMP/echo_chat_c" "$URL" "$TMP/lines"
check cpp_argv "echo: hello${nl}echo: wsc world" "$TMP/echo_chat_cpp" "$URL" hello "wsc world"
check cpp_stdin "echo: one${nl}echo: two${nl}echo: three" \
  sh -c '"$1" "$2" <"$3"' sh "$TMP/echo_chat_cpp" "$URL" "$TMP/lines"
echo "install_test: PASS"
