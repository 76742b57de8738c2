#!/bin/bash
# Regenerates abi/libwsc.so.0.abi and abi/enum_probe.abi, the C ABI baseline that the `abi` test
# (abi/check.sh) compares every plain build against. Run it on purpose only:
# after a compatible addition (a new function, an appended field of a
# size-prefixed struct, a new status or option) once reviewed, or together
# with a SONAME bump for an incompatible change. Build the library first with
# debug info and without sanitizers (the default debugoptimized build):
#   meson setup build && ninja -C build libwsc.so.0.1.0 abi/libwsc_abi_enum_probe.so
#   abi/update-baseline.sh build/libwsc.so.0.1.0 build/abi/libwsc_abi_enum_probe.so
set -euo pipefail
source "$(dirname "$0")/abi_common.sh"
usage="usage: $0 path/to/libwsc.so.0.x.y path/to/libwsc_abi_enum_probe.so"
lib=${1:?$usage}
probe=${2:?$usage}
abi_dump "$lib" "$abi_dir/libwsc.so.0.abi"
abi_dump "$probe" "$abi_dir/enum_probe.abi"
echo "wrote $abi_dir/libwsc.so.0.abi from $lib and $abi_dir/enum_probe.abi from $probe"
