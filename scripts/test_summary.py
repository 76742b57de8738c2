#!/usr/bin/python3
"""Combined pass/fail summary over one or more meson testlog.json files.

Usage:
  test_summary.py [--failure TEXT ...] [--pass TEXT ...] [--no-skipped-suffix]
                  [[NAME=]PATH ...]

NAME prefixes every failure ("asan: ..."); without it the name is taken from
the build directory ("build-asan/meson-logs/testlog.json" -> "asan").
--failure adds a failure that happened outside meson test (e.g. a build that
did not compile), so the final count covers it; --pass likewise adds one
passed check run outside meson test (e.g. the fuzzing step). The last line printed is
"N passed, N failed" plus ", N skipped" when something was skipped; with
--no-skipped-suffix the skipped count goes on the line before instead, so the
last line is always exactly "N passed, N failed". Exit status: 0 when nothing
failed, 1 otherwise, 2 on bad usage.

Format assumptions, checked against meson 1.0.1 (Debian 12):
- testlog.json has one JSON object per line, one per meson test, with keys
  "name" ("project:suite / test", or "project / test" with no suite; there is
  no separate "suite" key in 1.0.1), "stdout", "result" (a TestResult value:
  OK, FAIL, EXPECTEDFAIL, UNEXPECTEDPASS, SKIP, TIMEOUT, ERROR, ...),
  "returncode", "duration", "command", "env", and "stderr" only when the test
  wrote to stderr. meson test splits stdout from stderr by default, so
  GoogleTest's report (stdout) is in "stdout" and sanitizer reports (stderr)
  are in "stderr". meson does not truncate either in the JSON log.
- GoogleTest prints "[ RUN      ] Case" before a case and "[       OK ] Case
  (N ms)", "[  FAILED  ] Case (N ms)" or "[  SKIPPED ] Case (N ms)" after it;
  parameterised failures read "[  FAILED  ] P/T.Name/1, where GetParam() = 3
  (0 ms)". The summary at the end repeats FAILED/SKIPPED lines without the
  timing. Because the timing can be switched off (--gtest_print_time=0), a
  result line counts as per-case only when it names the case that the last
  RUN line opened; the end-of-run repeats never do.
- A gtest binary that crashes or times out mid-case leaves a RUN line with no
  result line (gtest flushes stdout after each line), and one whose cases all
  pass can still fail at exit (LeakSanitizer). Either way the meson result is
  a failure with no per-case failure, so the meson test adds one failure.
- A test with no "[ RUN      ]" line (not gtest, or gtest dying before the
  first case) counts once from "result": OK/EXPECTEDFAIL pass, SKIP skipped,
  anything else fails.
"""

import argparse
import json
import os
import re
import sys

PASS_RESULTS = {"OK", "EXPECTEDFAIL"}
SKIP_RESULTS = {"SKIP"}

RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")
RESULT_RE = re.compile(r"^\[ *(OK|FAILED|SKIPPED) *\] (\S+?),?(?: |$)")


class Totals:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []  # human-readable, already prefixed with the build name

    def fail(self, text):
        self.failed += 1
        self.failures.append(text)


def build_name(path):
    """'build-asan/meson-logs/testlog.json' -> 'asan'."""
    d = os.path.dirname(os.path.abspath(path))
    if os.path.basename(d) == "meson-logs":
        d = os.path.dirname(d)
    name = os.path.basename(d)
    return name[len("build-"):] if name.startswith("build-") and len(name) > 6 else name


def describe_exit(test):
    rc = test.get("returncode")
    res = test.get("result", "?")
    if isinstance(rc, int) and rc < 0:
        return "%s, killed by signal %d" % (res, -rc)
    return "%s, exit status %s" % (res, rc)


def count_gtest(prefix, test, totals):
    """Counts the cases of one gtest binary; returns nothing, updates totals."""
    name = test.get("name", "?")
    result = test.get("result", "")
    if result == "EXPECTEDFAIL":
        # should_fail binaries are judged as a whole; their failing cases are the point.
        totals.passed += 1
        return
    pending = None  # case opened by the last RUN line and not yet closed
    case_failures = 0
    for line in test.get("stdout", "").splitlines():
        m = RUN_RE.match(line)
        if m:
            pending = m.group(1)
            continue
        m = RESULT_RE.match(line)
        if not m or pending is None or m.group(2) != pending:
            continue  # end-of-run repeats, or text a test printed itself
        kind = m.group(1)
        if kind == "OK":
            totals.passed += 1
        elif kind == "SKIPPED":
            totals.skipped += 1
        else:
            case_failures += 1
            totals.fail("%s: %s: %s" % (prefix, name, pending))
        pending = None
    if result not in PASS_RESULTS and case_failures == 0:
        if pending is not None:
            totals.fail("%s: %s: %s (did not finish: %s)" % (prefix, name, pending, describe_exit(test)))
        else:
            totals.fail("%s: %s (%s after its cases ran; see stderr)" % (prefix, name, describe_exit(test)))


PYTEST_RE = re.compile(r"^=*\s*(?:(\d+) failed)?(?:, )?(?:(\d+) passed)?.* in [0-9.]+s", re.M)
GO_CASE_RE = re.compile(r"^\s*--- (PASS|FAIL): (\S+)", re.M)


def count_cases(prefix, test, totals):
    """pytest (-q or not) and `go test -v` runs count their own cases.

    Returns False when the output has no such summary, so the meson test is
    counted once from its result. A runner that failed without naming a
    failing case still counts as one failure."""
    out = test.get("stdout") or ""
    name = test.get("name", "?")
    ok = test.get("result", "") in PASS_RESULTS
    go_cases = GO_CASE_RE.findall(out)
    if go_cases:
        failed = [c for verdict, c in go_cases if verdict == "FAIL"]
        totals.passed += sum(1 for verdict, _ in go_cases if verdict == "PASS")
        for case in failed:
            totals.fail("%s: %s: %s" % (prefix, name, case))
        if not ok and not failed:
            totals.fail("%s: %s (%s)" % (prefix, name, describe_exit(test)))
        return True
    summary = None
    for m in PYTEST_RE.finditer(out):
        if m.group(1) or m.group(2):
            summary = m
    if summary is None:
        return False
    failed = int(summary.group(1) or 0)
    totals.passed += int(summary.group(2) or 0)
    for i in range(failed):
        totals.fail("%s: %s (pytest failure %d of %d; see its log)" % (prefix, name, i + 1, failed))
    if not ok and not failed:
        totals.fail("%s: %s (%s)" % (prefix, name, describe_exit(test)))
    return True


def count_log(prefix, path, totals):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        totals.fail("%s: no test log (%s)" % (prefix, e.strerror or e))
        return 0
    n = 0
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            test = json.loads(line)
        except ValueError:
            totals.fail("%s: %s:%d is not JSON (log cut short?)" % (prefix, path, lineno))
            continue
        n += 1
        if "[ RUN      ]" in (test.get("stdout") or ""):
            count_gtest(prefix, test, totals)
            continue
        if count_cases(prefix, test, totals):
            continue
        result = test.get("result", "")
        if result in PASS_RESULTS:
            totals.passed += 1
        elif result in SKIP_RESULTS:
            totals.skipped += 1
        else:
            totals.fail("%s: %s (%s)" % (prefix, test.get("name", "?"), describe_exit(test)))
    return n


def main(argv):
    p = argparse.ArgumentParser(description="Summarise meson testlog.json files.")
    p.add_argument("logs", nargs="*", metavar="[NAME=]PATH")
    p.add_argument("--pass", dest="passes", action="append", default=[],
                   help="count an extra pass (e.g. 'fuzz: 5 targets, 30 s each')")
    p.add_argument("--failure", action="append", default=[],
                   help="count an extra failure (e.g. 'asan: build failed')")
    p.add_argument("--no-skipped-suffix", action="store_true",
                   help="keep the last line exactly 'N passed, N failed'")
    args = p.parse_args(argv)

    grand = Totals()
    for text in args.failure:
        grand.fail(text)
    for text in args.passes:
        print("%s: passed" % text)
        grand.passed += 1
    for spec in args.logs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = build_name(spec), spec
        t = Totals()
        ntests = count_log(name, path, t)
        print("%s: %d passed, %d failed, %d skipped (%d meson tests, %s)"
              % (name, t.passed, t.failed, t.skipped, ntests, path))
        grand.passed += t.passed
        grand.failed += t.failed
        grand.skipped += t.skipped
        grand.failures.extend(t.failures)

    if grand.failures:
        print("Failures:")
        for text in grand.failures:
            print("  " + text)
    last = "%d passed, %d failed" % (grand.passed, grand.failed)
    if grand.skipped:
        if args.no_skipped_suffix:
            print("%d skipped" % grand.skipped)
        else:
            last += ", %d skipped" % grand.skipped
    print(last)
    return 1 if grand.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
