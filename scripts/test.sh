#!/usr/bin/env bash
# Full test run: every meson test under ASan+UBSan, then the `concurrency`
# suite under TSan, the bindings and packaging on a plain build, every
# libFuzzer target for FUZZ_SECONDS (default 30) each, then one combined count. Keeps going after a failed step
# so the summary always prints; its last line is exactly "N passed, N failed".
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
ROOT="$(pwd)"
PY=/usr/bin/python3  # the pyenv python3 on PATH lacks Debian's modules

extra_failures=()
extra_passes=()
interrupted=0
# A CI job timeout or ^C signals the whole process group: meson test then
# writes its log and exits, and this script skips what is left but still
# prints the summary (the interrupted test shows up as a failure).
trap 'interrupted=1' TERM INT

if ! bash "$ROOT/scripts/bootstrap.sh"; then
  # Carry on: maybe everything needed is there anyway, and the build will say.
  extra_failures+=(--failure "bootstrap: package installation failed")
fi

# setup_build DIR MESON_ARGS... : configure a fresh dir or reconfigure an old one.
setup_build() {
  local dir="$1"
  shift
  # The codec features are named so that a build dir configured before
  # their libraries were installed picks them up (--reconfigure keeps old
  # option values).
  set -- -Djson=auto -Dmsgpack=auto -Dprotobuf=auto "$@"
  if [ -f "$dir/meson-private/coredata.dat" ]; then
    # --reconfigure applies changed options and keeps the objects already built.
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# run_build NAME DIR SUITE_ARGS -- SETUP_ARGS... : configure, build, test.
# A failure to configure or build is recorded, and its tests are not run.
run_build() {
  local name="$1" dir="$2" suite_args="$3"
  shift 4
  local log="$dir/meson-logs/testlog.json"
  if [ "$interrupted" -ne 0 ]; then
    extra_failures+=(--failure "$name: not run (interrupted)")
    return
  fi
  echo "=== $name: configure and build $dir"
  # A stale log from an earlier run must not be counted as this run's result.
  rm -f "$ROOT/$log"
  if ! setup_build "$dir" "$@"; then
    extra_failures+=(--failure "$name: meson setup failed")
    return
  fi
  if ! ninja -C "$dir"; then
    extra_failures+=(--failure "$name: build failed")
    return
  fi
  echo "=== $name: meson test $suite_args"
  local test_rc=0
  # shellcheck disable=SC2086  # $suite_args is intentionally split
  "${RUNNER[@]}" meson test -C "$dir" $suite_args --print-errorlogs --num-processes 2 \
    --timeout-multiplier 3 || test_rc=$?  # test failures are counted from the log
  if [ -f "$ROOT/$log" ]; then
    logs+=("$name=$ROOT/$log")
  elif [ "$test_rc" -ne 0 ]; then
    extra_failures+=(--failure "$name: meson test failed (exit $test_rc) without a test log")
  else
    # meson writes no log when the selection is empty ("No suitable tests").
    echo "=== $name: no tests selected"
  fi
}

logs=()

RUNNER=(env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
# The bindings and the install test load libwsc from other runtimes (Python,
# Go, a staged install); they run against the plain build below instead, as
# do the docs (nothing to sanitize) and the ABI check (its baseline comes
# from a debugoptimized build; ASan adds symbols, not C ABI).
run_build asan build-asan "--no-suite python --no-suite go --no-suite packaging --no-suite docs --no-suite abi" -- \
  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

RUNNER=(env TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1)
# TSan cannot map its shadow memory on kernels with high mmap ASLR entropy
# (vm.mmap_rnd_bits=32, "unexpected memory mapping"); running without address
# randomisation avoids that where setarch is permitted.
if setarch "$(uname -m)" -R true 2>/dev/null; then
  RUNNER=(setarch "$(uname -m)" -R "${RUNNER[@]}")
fi
run_build tsan build-tsan "--suite concurrency" -- \
  -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug

RUNNER=(env)
run_build plain build "--suite python --suite go --suite packaging --suite docs --suite abi" -- \
  -Dpython=true -Dgo=true

# Fuzzing (clang's libFuzzer): one pass/fail line for all the targets.
run_fuzz() {
  local dir=build-fuzz seconds="${FUZZ_SECONDS:-30}"
  if [ "$interrupted" -ne 0 ]; then
    extra_failures+=(--failure "fuzz: not run (interrupted)")
    return
  fi
  echo "=== fuzz: configure and build $dir"
  if ! CC=clang CXX=clang++ setup_build "$dir" -Dfuzz=true -Dtests=false -Dtools=false; then
    extra_failures+=(--failure "fuzz: meson setup failed")
    return
  fi
  if ! ninja -C "$dir" fuzz-all; then
    extra_failures+=(--failure "fuzz: build failed")
    return
  fi
  echo "=== fuzz: fuzz/run_all.sh $dir $seconds"
  if "$ROOT/fuzz/run_all.sh" "$dir" "$seconds"; then
    extra_passes+=(--pass "fuzz: every target ${seconds} s without a finding")
  else
    extra_failures+=(--failure "fuzz: a finding or a broken run (see fuzz/run_all.sh above)")
  fi
}
run_fuzz

echo "=== summary"
rc=0
"$PY" "$ROOT/scripts/test_summary.py" --no-skipped-suffix "${extra_failures[@]}" \
  "${extra_passes[@]}" "${logs[@]}" ||
  rc=$?
if [ "$rc" -gt 1 ]; then
  # The summariser itself broke (not a test failure); still end with the count line.
  echo "0 passed, 1 failed"
fi
exit "$rc"
