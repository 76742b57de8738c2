#!/bin/sh
# Build-tree test: a consumer of the build tree, not of an install, needs only
# PKG_CONFIG_PATH=BUILD/meson-uninstalled and `pkg-config wsc` (meson's
# wsc-uninstalled.pc): `#include <wsc/wsc.h>` must resolve (meson copies the
# C headers to BUILD/include/wsc/, include/wsc/meson.build). Builds the C
# echo_chat example and the Go one (cgo through bindings/go, no CGO_CFLAGS)
# that way and runs both against the build's `wsc serve`.
#
# usage: uninstalled_test.sh BUILD_DIR SOURCE_DIR
# env:   PKG_CONFIG, CC (defaults: pkg-config, cc), GO (default go; "" = skip
#        the Go example)
set -eu
. "$(dirname "$0")/common.sh"

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CC=${CC:-cc}

make_scratch uninstalled-test

[ -x "$BUILD/tools/wsc" ] || { echo "SKIP: no $BUILD/tools/wsc (-Dtools=false)"; exit 77; }
# pkg-config prefers wsc-uninstalled.pc on its path to an installed wsc.pc.
PKG_CONFIG_PATH=$BUILD/meson-uninstalled
export PKG_CONFIG_PATH
unset CGO_CFLAGS CGO_LDFLAGS CPATH C_INCLUDE_PATH 2>/dev/null || true
FLAGS=$("$PKG_CONFIG" --cflags --libs wsc) || fail "pkg-config --cflags --libs wsc failed"
echo "pkg-config --cflags --libs wsc: $FLAGS"
case $FLAGS in *"-L$BUILD "*) ;; *) fail "pkg-config wsc does not point at $BUILD" ;; esac

# shellcheck disable=SC2086  # $FLAGS is a list of flags
"$CC" -std=c99 -Wall -Wextra -pedantic -Werror -o "$TMP/echo_chat_c" \
  "$SRC/examples/c/echo_chat.c" $FLAGS || fail "C consumer did not build against the build tree"

# The build tree's libwsc at run time (no rpath in the .pc's -L).
LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
start_serve "$BUILD/tools/wsc"
write_lines
check c_argv "$ARGV_ECHOES" /dev/null "$TMP/echo_chat_c" "$URL" hello "wsc world"

check_go_example
echo "uninstalled_test: PASS"
