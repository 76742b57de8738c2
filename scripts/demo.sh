#!/usr/bin/env bash
# Builds wsc in build/ and runs the CLI's self-contained demo.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build
exec build/tools/wsc demo
