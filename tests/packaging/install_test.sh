#!/bin/sh
# Install test: `meson install --destdir` into a scratch stage, then build the
# C and C++ echo_chat examples with nothing but `pkg-config --cflags --libs wsc`
# against that stage and run them against the staged `wsc serve`.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR
# The Python and Go examples run too, against the same staged libwsc (Python
# through bindings/python with WSC_LIBRARY, Go through bindings/go with cgo and
# the staged pkg-config), when python3 / go are found.
# env:   MESON, PKG_CONFIG, CC, CXX (defaults: meson, pkg-config, cc, c++),
#        PYTHON (default python3), GO (default go; "" = skip the Go example)
set -eu
. "$(dirname "$0")/common.sh"

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
MESON=${MESON:-meson}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CC=${CC:-cc}
CXX=${CXX:-c++}

make_scratch install-test

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
if ! grep -q '^Requires.private:.*libwebsockets' "$PCDIR/wsc.pc" ||
  ! grep -q '^Requires.private:.*openssl' "$PCDIR/wsc.pc"; then
  fail "wsc.pc lacks Requires.private: libwebsockets, openssl"
fi
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
start_serve "$STAGE$BINDIR/wsc"

# Messages from argv, then from stdin (the empty line is skipped).
write_lines
check c_argv "$ARGV_ECHOES" /dev/null "$TMP/echo_chat_c" "$URL" hello "wsc world"
check c_stdin "$STDIN_ECHOES" "$TMP/lines" "$TMP/echo_chat_c" "$URL"
check cpp_argv "$ARGV_ECHOES" /dev/null "$TMP/echo_chat_cpp" "$URL" hello "wsc world"
check cpp_stdin "$STDIN_ECHOES" "$TMP/lines" "$TMP/echo_chat_cpp" "$URL"

# --- Python example: bindings/python loading the staged libwsc.so.0 ------------
PYTHON=${PYTHON:-python3}
if [ ! -f "$SRC/bindings/python/wsc/__init__.py" ]; then
  echo "skip: Python example (no bindings/python)"
elif ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "skip: Python example (no $PYTHON)"
else
  set -- env PYTHONPATH="$SRC/bindings/python" WSC_LIBRARY="$STAGE$LIBDIR/libwsc.so.0" \
    PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$SRC/examples/python/echo_chat.py" "$URL"
  check py_argv "$ARGV_ECHOES" /dev/null "$@" hello "wsc world"
  check py_stdin "$STDIN_ECHOES" "$TMP/lines" "$@"
fi

# --- Go example: bindings/go via cgo and `pkg-config wsc` on the stage ----------
if [ -f "$SRC/bindings/go/go.mod" ]; then
  check_go_example
else
  echo "skip: Go example (no bindings/go)"
fi
echo "install_test: PASS"
