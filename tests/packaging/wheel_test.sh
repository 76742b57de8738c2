#!/bin/sh
# Wheel test: bindings/python/build_wheel.sh makes a wheel with libwsc inside;
# `pip install --no-index` puts it into a fresh venv (no system site
# packages, nothing downloaded), and the venv's Python runs the echo example
# against the build's `wsc serve` without WSC_LIBRARY and outside the source
# tree, loading the libwsc.so.0 from inside the installed package.
#
# usage: wheel_test.sh BUILD_DIR SOURCE_DIR
# env:   PYTHON (default /usr/bin/python3; needs python3-venv, python3-setuptools,
#        python3-wheel)
set -eu
. "$(dirname "$0")/common.sh"

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}

make_scratch wheel-test

[ -x "$BUILD/tools/wsc" ] || { echo "SKIP: no $BUILD/tools/wsc (-Dtools=false)"; exit 77; }
WHEEL=$(PYTHON=$PYTHON sh "$SRC/bindings/python/build_wheel.sh" "$BUILD" "$TMP/dist") ||
  fail "build_wheel.sh failed"
echo "wheel: $WHEEL"
case $WHEEL in *-py3-none-linux_*.whl) ;; *) fail "not a platform wheel: $WHEEL" ;; esac

"$PYTHON" -m venv "$TMP/venv" || fail "python3 -m venv failed (python3-venv)"
"$TMP/venv/bin/pip" install --no-index --no-cache-dir --disable-pip-version-check -q "$WHEEL" ||
  fail "pip install of the wheel failed"

# Outside the tree, with nothing pointing at the build: the wheel's own copy.
unset WSC_LIBRARY PYTHONPATH LD_LIBRARY_PATH 2>/dev/null || true
cd "$TMP"
LOADED=$(PYTHONDONTWRITEBYTECODE=1 "$TMP/venv/bin/python" -c \
  'import wsc, wsc._lib as l; print(l.lib()._name)') || fail "import wsc failed in the venv"
echo "loaded: $LOADED"
case $LOADED in "$TMP/venv/"*"/site-packages/wsc/libwsc.so.0") ;;
  *) fail "libwsc was not loaded from the installed wheel: $LOADED" ;;
esac

start_serve "$BUILD/tools/wsc"
write_lines
set -- env PYTHONDONTWRITEBYTECODE=1 "$TMP/venv/bin/python" "$SRC/examples/python/echo_chat.py" "$URL"
check wheel_argv "$ARGV_ECHOES" /dev/null "$@" hello "wsc world"
check wheel_stdin "$STDIN_ECHOES" "$TMP/lines" "$@"
echo "wheel_test: PASS"
