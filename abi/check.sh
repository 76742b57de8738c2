#!/bin/bash
# The `abi` test: the C ABI of the built libwsc (and of the enum probe,
# enum_probe.c) against the baseline kept in the repo (abi/libwsc.so.0.abi,
# abi/enum_probe.abi). Fails on any change abidiff reports, except added
# functions and variables and appended enumerators, which are compatible
# (the baseline should still be updated to protect them:
# abi/update-baseline.sh). abidiff's exit code is a bit field: 1 error, 2
# usage error, 4 ABI change (a type or a signature changed: a human must
# decide, so it fails until the baseline or the SONAME is changed on
# purpose), 8 incompatible change (a symbol removed).
# Usage: check.sh LIBWSC ENUM_PROBE [BASELINE_DIR]  (BASELINE_DIR: for tests)
set -uo pipefail
source "$(dirname "$0")/abi_common.sh"
lib=${1:?usage: $0 LIBWSC ENUM_PROBE [BASELINE_DIR]}
probe=${2:?usage: $0 LIBWSC ENUM_PROBE [BASELINE_DIR]}
baselines=${3:-$abi_dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check_one BINARY BASELINE: 0 when compatible, 1 with the reason otherwise.
check_one() {
  local bin=$1 baseline=$2 rc added
  if ! abi_dump "$bin" "$work/current.abi"; then
    echo "FAIL: abidw could not read $bin (built with debug info?)"
    return 1
  fi
  abidiff --no-added-syms --suppressions "$abi_dir/c-abi.suppr" \
    "$baseline" "$work/current.abi" > "$work/report.txt"
  rc=$?
  cat "$work/report.txt"
  if [ $((rc & 1)) -ne 0 ]; then
    echo "FAIL: abidiff failed (exit $rc) on $baseline"
    return 1
  fi
  if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible C ABI change against $baseline (a symbol was removed): bump the SONAME"
    return 1
  fi
  if [ $((rc & 4)) -ne 0 ]; then
    echo "FAIL: the C ABI changed against $baseline (above). If it is compatible (an appended"
    echo "field of a size-prefixed struct), run abi/update-baseline.sh; if not, bump the SONAME."
    return 1
  fi
  added=$(abidiff --suppressions "$abi_dir/c-abi.suppr" "$baseline" "$work/current.abi" |
    sed -n 's/^Functions changes summary:.* \([1-9][0-9]*\) Added function.*/\1/p')
  echo "ok: $bin matches $baseline${added:+ ($added functions added since the baseline: run abi/update-baseline.sh)}"
}

status=0
check_one "$lib" "$baselines/libwsc.so.0.abi" || status=1
check_one "$probe" "$baselines/enum_probe.abi" || status=1
exit $status
