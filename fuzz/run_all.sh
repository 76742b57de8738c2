#!/usr/bin/env bash
# Runs every libFuzzer target of a -Dfuzz=true build for a bounded time.
#
#   fuzz/run_all.sh BUILD_DIR SECONDS_PER_TARGET
#
# Each target starts from its seeds in fuzz/corpus/<name>/ (read-only; new
# inputs go to BUILD_DIR/fuzz-corpus/<name>/, kept between runs so longer
# runs build on earlier ones) and runs one job at a time: the machines are
# shared. A crash, leak, timeout or out-of-memory leaves its input in
# BUILD_DIR/fuzz-artifacts/<name>/ and makes the script exit 1 once every
# target has run; one line per target gives its executions. Exit 2: bad
# usage or a missing target.
set -u
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET" >&2
  exit 2
fi
build="$(cd "$1" 2>/dev/null && pwd)" || { echo "no build dir $1" >&2; exit 2; }
seconds="$2"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
targets=(server-bytes upgrade-response response-head url proxy-url inflate rpc-decode)

failed=0
total=0
for name in "${targets[@]}"; do
  exe="$build/fuzz/fuzz-$name"
  if [ ! -x "$exe" ]; then
    echo "fuzz: $name: $exe not built" >&2
    exit 2
  fi
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rc=0
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: a parser must
  # not need 1 GiB. UBSan findings abort (halt_on_error) so they count too.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$src/corpus/$name" >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  execs="${execs:-0}"
  total=$((total + execs))
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz: $name: FAILED (exit $rc) after $execs executions; log $log, inputs in $artifacts"
    grep -E "^==[0-9]+==ERROR|^SUMMARY|runtime error|deadly signal|Test unit written" "$log" |
      head -5 | sed 's/^/  /'
  else
    echo "fuzz: $name: ok, $execs executions in ${seconds} s"
  fi
done
echo "fuzz: $total executions over ${#targets[@]} targets"
exit "$failed"
