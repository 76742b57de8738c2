#!/usr/bin/env bash
# Runs Debian's tinyproxy on a free loopback port with its own config, for
# the proxy tests. Usage: tinyproxy.sh WORKDIR [USER PASSWORD]
# Prints "PORT <n>" once the proxy accepts connections; the log is
# WORKDIR/tinyproxy.log. Runs in the foreground until killed.
set -euo pipefail
dir="$1"
mkdir -p "$dir"
chmod 777 "$dir"  # tinyproxy drops to nobody when started as root
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  [ "$(id -u)" -eq 0 ] && printf 'User nobody\nGroup nogroup\n'
  printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nMaxClients 200\nAllow 127.0.0.1\n' "$port"
  printf 'LogFile "%s/tinyproxy.log"\nLogLevel Connect\n' "$dir"
  # No ConnectPort lines: CONNECT to any port is allowed (echo servers use
  # ephemeral ports).
  if [ $# -ge 3 ]; then printf 'BasicAuth %s %s\n' "$2" "$3"; fi
} >"$dir/tinyproxy.conf"
: >"$dir/tinyproxy.log"
chmod 666 "$dir/tinyproxy.log"
tinyproxy -d -c "$dir/tinyproxy.conf" &
child=$!
trap 'kill $child 2>/dev/null' EXIT TERM INT
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "PORT $port"
    wait "$child"
    exit $?
  fi
  sleep 0.05
done
echo "tinyproxy did not start" >&2
exit 1
