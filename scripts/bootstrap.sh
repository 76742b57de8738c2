#!/usr/bin/env bash
# Installs the Debian packages wsc needs to build and test. Idempotent: when
# everything is already installed it touches nothing (no apt-get update, no
# sudo prompt), so demo.sh and test.sh can call it on every run.
set -eu

# Extend this list when a new build or test dependency appears.
PACKAGES="build-essential pkg-config meson ninja-build nftables iproute2 util-linux libwebsockets-dev libssl-dev \
libwebsockets-evlib-ev libev-dev libgtest-dev googletest python3 python3-websockets python3-pytest openssl tinyproxy \
golang-go golang-github-gorilla-websocket-dev libmsgpack-cxx-dev libprotobuf-dev \
protobuf-compiler clang-format binutils libboost-dev libsimdjson-dev python3-matplotlib \
python3-websocket nlohmann-json3-dev python3-msgpack python3-protobuf clang \
libclang-rt-14-dev zlib1g-dev python3-autobahn \
abigail-tools doxygen python3-sphinx python3-prometheus-client \
golang-github-prometheus-client-golang-dev python3-setuptools python3-wheel python3-venv \
golang-github-vmihailenco-msgpack.v5-dev golang-google-protobuf-dev"

missing=""
for pkg in $PACKAGES; do
  # "install ok installed" is the only status that means usable; removed or
  # half-configured packages report something else and get reinstalled.
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then
    missing="$missing $pkg"
  fi
done

# Node.js runs the npm test peers (Node `ws`); the machine image may bring
# its own node, so Debian's is installed only when there is none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing="$missing nodejs npm"
fi

install_node_peers() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/peers/node"
  # Again whenever package-lock.json changed since the last install (npm
  # keeps its own copy in node_modules/.package-lock.json).
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "bootstrap: npm install in tests/peers/node"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

if [ -z "$missing" ]; then
  echo "bootstrap: all packages present"
  install_node_peers
  exit 0
fi

echo "bootstrap: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# sudo resets the environment by default, so pass DEBIAN_FRONTEND explicitly.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086  # word splitting of $missing is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
install_node_peers
