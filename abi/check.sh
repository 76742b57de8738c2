#!/bin/bash
# The `abi` test: the C ABI of the built libwsc against the baseline kept in
# the repo (abi/libwsc.so.0.abi). Fails on any change abidiff reports, except
# added functions and variables, which are compatible (the baseline should
# still be updated to protect them: abi/update-baseline.sh). abidiff's exit
# code is a bit field: 1 error, 2 usage error, 4 ABI change (a type or a
# signature changed: a human must decide, so it fails until the baseline or
# the SONAME is changed on purpose), 8 incompatible change (a symbol removed).
# Usage: check.sh path/to/libwsc.so.0.x.y
set -uo pipefail
source "$(dirname "$0")/abi_common.sh"
lib=${1:?usage: $0 path/to/libwsc.so.0.x.y}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! abi_dump "$lib" "$work/current.abi"; then
  echo "FAIL: abidw could not read $lib (built with debug info?)"
  exit 1
fi
abidiff --no-added-syms --suppressions "$abi_dir/c-abi.suppr" \
  "$abi_dir/libwsc.so.0.abi" "$work/current.abi" > "$work/report.txt"
rc=$?
cat "$work/report.txt"
if [ $((rc & 1)) -ne 0 ]; then
  echo "FAIL: abidiff failed (exit $rc)"
  exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
  echo "FAIL: incompatible C ABI change (a symbol was removed): bump the SONAME"
  exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
  echo "FAIL: the C ABI changed (above). If it is compatible (an appended field of a"
  echo "size-prefixed struct, a new enumerator), run abi/update-baseline.sh; if not, bump the SONAME."
  exit 1
fi
added=$(abidiff --suppressions "$abi_dir/c-abi.suppr" "$abi_dir/libwsc.so.0.abi" "$work/current.abi" |
  sed -n 's/^Functions changes summary:.* \([0-9]*\) Added functions.*/\1/p')
echo "ok: the C ABI of $lib matches abi/libwsc.so.0.abi${added:+ ($added functions added since the baseline: run abi/update-baseline.sh)}"
