#!/bin/sh
# Checks the dynamic symbol table of libwsc.so: every defined symbol must be
# part of the public API, i.e. a C symbol named wsc_* or a C++ symbol in
# namespace wsc (functions, or typeinfo/typeinfo name/vtable of wsc classes),
# and never an internal of wsc::detail. Also checks SONAME libwsc.so.0.
# Usage: exports_test.sh path/to/libwsc.so
set -u

lib=${1:-}
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
  echo "usage: $0 path/to/libwsc.so (got '${lib}')" >&2
  exit 2
fi
for tool in nm c++filt readelf; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool not found" >&2
    exit 2
  fi
done

if ! symbols=$(nm -D --defined-only "$lib"); then
  echo "nm -D --defined-only $lib failed" >&2
  exit 1
fi

offenders=""
count=0
# nm lines: "<address> <type> <name>[@@VERSION]"; absolute symbols may lack nothing.
while read -r _addr type name; do
  [ -n "${name:-}" ] || continue
  sym=${name%%@*}  # drop the version suffix (@@WSC_0 or @WSC_0)
  count=$((count + 1))
  # The version node itself shows up as an absolute symbol.
  if [ "$type" = "A" ] && [ "$sym" = "WSC_0" ]; then
    continue
  fi
  case "$sym" in
    _Z*)
      demangled=$(printf '%s\n' "$sym" | c++filt)
      case "$demangled" in
        "wsc::detail::"* | "typeinfo for wsc::detail::"* | "typeinfo name for wsc::detail::"* | \
          "vtable for wsc::detail::"*)
          offenders="${offenders}  $type $sym  ($demangled: wsc::detail is internal)
" ;;
        "wsc::"* | "typeinfo for wsc::"* | "typeinfo name for wsc::"* | "vtable for wsc::"*) ;;
        *)
          offenders="${offenders}  $type $sym  ($demangled)
" ;;
      esac
      ;;
    wsc_*) ;;
    *)
      offenders="${offenders}  $type $sym
" ;;
  esac
done <<EOS
$symbols
EOS

status=0
if [ "$count" -eq 0 ]; then
  echo "FAIL: no defined dynamic symbols in $lib"
  status=1
fi
if [ -n "$offenders" ]; then
  echo "FAIL: $lib exports symbols outside the wsc API:"
  printf '%s' "$offenders"
  status=1
else
  echo "ok: all $count defined dynamic symbols are wsc_* or wsc:: (or the WSC_0 version node)"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libwsc.so.0" ]; then
  echo "FAIL: SONAME is '${soname}', expected 'libwsc.so.0'"
  status=1
else
  echo "ok: SONAME libwsc.so.0"
fi
exit $status
