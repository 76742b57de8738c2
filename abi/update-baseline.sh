#!/bin/bash
# Regenerates abi/libwsc.so.0.abi, the C ABI baseline that the `abi` test
# (abi/check.sh) compares every plain build against. Run it on purpose only:
# after a compatible addition (a new function, an appended field of a
# size-prefixed struct, a new status or option) once reviewed, or together
# with a SONAME bump for an incompatible change. Build the library first with
# debug info and without sanitizers (the default debugoptimized build):
#   meson setup build && ninja -C build libwsc.so.0.1.0
#   abi/update-baseline.sh build/libwsc.so.0.1.0
set -euo pipefail
source "$(dirname "$0")/abi_common.sh"
lib=${1:?usage: $0 path/to/libwsc.so.0.x.y}
abi_dump "$lib" "$abi_dir/libwsc.so.0.abi"
echo "wrote $abi_dir/libwsc.so.0.abi from $lib"
