#!/bin/sh
# Compiles the README's C example exactly as written (taken from README.md,
# under its C example heading) against the staged <wsc/wsc.h> and this build's libwsc, then runs it:
#  - against a port where nothing listens: exit status 1 and the reason on
#    stderr ("could not connect" and the address);
#  - against `wsc serve`: prints the echo "hi" and exits 0.
# Usage: readme_c_test.sh README INCLUDE_DIR BUILD_DIR CC WSC_CLI [EXTRA_CFLAGS]
set -eu
readme=$1 inc=$2 build=$3 cc=$4 cli=$5 extra=${6:-}
. "$(dirname "$0")/../docs/serve_lib.sh"

awk '/^#+ C example/ {in_section = 1; next}
     /^#+ / {in_section = 0}
     in_section && /^```c$/ {code = 1; next}
     code && /^```$/ {exit}
     code {print}' "$readme" > "$work/demo.c"
[ -s "$work/demo.c" ] || fail "no C snippet under '### C example' in $readme"
# shellcheck disable=SC2086 # extra is zero or more flags
"$cc" -std=c99 -Wall -Wextra -Werror $extra -I"$inc" "$work/demo.c" -L"$build" -lwsc \
  -Wl,-rpath,"$build" -o "$work/demo" || fail "the README C example does not compile"

check_hi_then_refused "$work/demo"
grep -q "could not connect" "$work/err.txt" || fail "stderr does not say why: $(cat "$work/err.txt")"
echo "ok: README C example ($(cat "$work/err.txt"))"
