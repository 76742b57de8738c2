#!/bin/bash
# The `abi` check must fail when the C ABI changes: check.sh runs against
# copies of the baseline, each doctored to describe a library that differs
# from the built one in one way, and must fail for each (and pass for the
# baseline itself, so the failures are about the doctoring):
#  - a function the library no longer exports (removal: incompatible);
#  - a struct of a different size (wsc_message: a field added or removed);
#  - a signature with a different parameter type (wsc_send's len);
#  - an enumerator with a different number (WSC_BINARY).
# And it must pass for compatible additions: a baseline without wsc_version
# (the library added it since) or without the last wsc_option (appended).
# Usage: check_detects_test.sh LIBWSC ENUM_PROBE
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib=${1:?usage: $0 LIBWSC ENUM_PROBE}
probe=${2:?usage: $0 LIBWSC ENUM_PROBE}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

bash "$here/check.sh" "$lib" "$probe" > "$work/same.txt" 2>&1 ||
  fail "the undoctored baseline does not pass: $(cat "$work/same.txt")"

# Each case is a directory holding both baselines, one of them doctored.
/usr/bin/python3 - "$here" "$work" <<'PY' || fail "could not doctor the baseline"
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
lib_abi = open(os.path.join(src, "libwsc.so.0.abi")).read()
enum_abi = open(os.path.join(src, "enum_probe.abi")).read()

def case(name, lib=lib_abi, enums=enum_abi):
    if lib == lib_abi and enums == enum_abi:
        sys.exit("doctoring %s changed nothing" % name)
    os.mkdir(os.path.join(out, name))
    open(os.path.join(out, name, "libwsc.so.0.abi"), "w").write(lib)
    open(os.path.join(out, name, "enum_probe.abi"), "w").write(enums)

sym = re.search(r"\n( *<elf-symbol name='wsc_version'[^\n]*)", lib_abi).group(1)
decl = re.search(r"\n( *<function-decl name='wsc_version'.*?</function-decl>)", lib_abi,
                 re.S).group(1)
# A function the library does not have: the built one "removed" it.
case("fail-removed", lib=lib_abi.replace(sym, sym + "\n" + sym.replace(
    "wsc_version", "wsc_gone_for_test"), 1).replace(decl, decl + "\n" + decl.replace(
    "wsc_version", "wsc_gone_for_test"), 1))
# wsc_message one field shorter than the built one.
case("fail-struct-size", lib=re.sub(
    r"(<class-decl name='wsc_message' size-in-bits=')(\d+)'",
    lambda m: m.group(1) + str(int(m.group(2)) - 64) + "'", lib_abi, count=1))
# wsc_send's fourth parameter (len) of the type of its second (the message type).
send = re.search(r"<function-decl name='wsc_send'.*?</function-decl>", lib_abi, re.S).group(0)
types = re.findall(r"<parameter type-id='([^']+)'", send)
case("fail-signature", lib=lib_abi.replace(send, send.replace(
    "type-id='%s' name='len'" % types[3], "type-id='%s' name='len'" % types[1]), 1))
# WSC_BINARY renumbered.
case("fail-enum-value", enums=enum_abi.replace(
    "<enumerator name='WSC_BINARY' value='2'/>", "<enumerator name='WSC_BINARY' value='7'/>"))
# Additions: wsc_version and the last option are new since this baseline.
case("pass-added-function", lib=lib_abi.replace(sym + "\n", "", 1).replace(decl + "\n", "", 1))
last_option = re.search(r"<enum-decl name='wsc_option'.*?(\n *<enumerator [^\n]*)\n *</enum-decl>",
                        enum_abi, re.S).group(1)
case("pass-added-enumerator", enums=enum_abi.replace(last_option, "", 1))
PY

for dir in "$work"/fail-* "$work"/pass-*; do
  name=$(basename "$dir")
  if bash "$here/check.sh" "$lib" "$probe" "$dir" > "$dir/out.txt" 2>&1; then
    [ "${name%%-*}" = pass ] || fail "check.sh passed for $name: $(cat "$dir/out.txt")"
    echo "ok: $name passes"
  else
    [ "${name%%-*}" = fail ] || fail "check.sh failed for $name: $(cat "$dir/out.txt")"
    echo "ok: $name fails: $(grep -m1 FAIL "$dir/out.txt")"
  fi
done
