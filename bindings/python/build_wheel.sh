#!/bin/sh
# Builds an offline wheel of the Python binding with libwsc inside it, the
# auditwheel way: the built library is copied into the package as
# wsc/libwsc.so.0, where wsc/_lib.py looks first (after WSC_LIBRARY), and the
# wheel is tagged for this platform (py3-none-linux_<arch>: ctypes, any
# Python 3). Only libwsc is bundled; the shared libraries it needs stay the
# system's and are listed in wsc/RUNTIME_DEPS.txt inside the wheel (on
# Debian 12: libwebsockets17, libssl3, zlib1g, libstdc++6, plus libprotobuf32
# when the protobuf codec is built); see bindings/python/README.md.
#
# usage: build_wheel.sh BUILD_DIR OUT_DIR   (prints the wheel's path)
# Needs Debian's python3-setuptools and python3-wheel; no network, no pip.
# env: PYTHON (default /usr/bin/python3)
set -eu
build=$(cd "${1:?usage: $0 BUILD_DIR OUT_DIR}" && pwd)
mkdir -p "${2:?usage: $0 BUILD_DIR OUT_DIR}"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
lib="$build/libwsc.so.0"
[ -e "$lib" ] || { echo "build_wheel: no $lib (build libwsc first)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/wsc-wheel.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# A copy of the package source, so the tree stays clean.
cp -r "$here/pyproject.toml" "$here/README.md" "$here/_build" "$here/wsc" "$stage/"
rm -f "$stage/wsc/_installed.py.in" "$stage"/wsc/libwsc.so*
# The real file behind the symlinks, without its debug sections.
objcopy --strip-debug "$(readlink -f "$lib")" "$stage/wsc/libwsc.so.0"
{
  echo "# Shared libraries libwsc.so.0 needs from the system (ELF DT_NEEDED)."
  readelf -d "$stage/wsc/libwsc.so.0" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
} >"$stage/wsc/RUNTIME_DEPS.txt"
sed -i 's/"py.typed", /"py.typed", "RUNTIME_DEPS.txt", /' "$stage/pyproject.toml"
grep -q RUNTIME_DEPS.txt "$stage/pyproject.toml" ||
  { echo "build_wheel: pyproject.toml package-data changed; update this script" >&2; exit 1; }

plat=$("$python" -c 'import sysconfig; print(sysconfig.get_platform().replace("-", "_").replace(".", "_"))')
cd "$stage"
# setuptools through the package's own PEP 517 backend (_build/backend.py);
# --plat-name makes the wheel platform-specific although it has no C extension.
"$python" - "$out" "$plat" >"$stage/build.log" 2>&1 <<'PY' || { cat "$stage/build.log" >&2; exit 1; }
import sys
sys.path.insert(0, "_build")
import backend
name = backend.build_wheel(sys.argv[1], {"--build-option": ["--plat-name", sys.argv[2]]})
open("wheel-name", "w").write(name)
PY
echo "$out/$(cat wheel-name)"
