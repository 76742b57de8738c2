#!/bin/sh
# Runs a test program in a network namespace of its own (unshare -rn: a user
# namespace maps the caller to root there, so this works unprivileged too),
# with only a loopback interface, brought up. Faults injected there (nftables
# drop rules, frozen peers) touch nothing outside: no other test, no other
# process on the machine, and no traffic ever leaves the namespace.
#
# Usage: netns_run.sh [--or-direct] PROGRAM [ARGS...]
# Where the kernel refuses namespaces this exits 77 (meson's "skipped") with
# the reason; with --or-direct it runs PROGRAM without a namespace instead
# (for tests that only want the isolation, not the faults).
set -u
or_direct=0
if [ "${1:-}" = "--or-direct" ]; then
  or_direct=1
  shift
fi
if ! why="$(unshare -rn true 2>&1)"; then
  if [ "$or_direct" = 1 ]; then
    echo "netns_run: no network namespace (unshare -rn: $why); running in the host's"
    exec "$@"
  fi
  echo "SKIP: the kernel refuses network namespaces (unshare -rn: $why)"
  exit 77
fi
# WSC_NETNS tells the program it may change the firewall: the namespace's own.
exec unshare -rn sh -c 'ip link set lo up || exit 1; WSC_NETNS=1 exec "$@"' netns_run "$@"
