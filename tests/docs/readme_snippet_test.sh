#!/bin/bash
# Builds the README's C++, Python or Go example exactly as written (the first
# fenced block under its "### <Language> example" heading) against this
# build, then runs it:
#  - against `wsc serve`: prints the echo "hi" and exits 0;
#  - against the same port once closed: exits non-zero and says why on
#    stderr, naming the address.
# Usage: readme_snippet_test.sh cpp|python|go README SOURCE_DIR BUILD_DIR WSC_CLI
set -euo pipefail
lang=$1 readme=$2 src=$(cd "$3" && pwd) build=$(cd "$4" && pwd) cli=$5
. "$(dirname "$0")/serve_lib.sh"

# extract HEADING FENCE: the first ```FENCE block after the heading.
extract() {
  awk -v heading="$1" -v fence='```'"$2" '
    $0 ~ "^#+ " heading "$" {in_section = 1; next}
    in_section && /^#+ / {exit}
    in_section && $0 == fence {code = 1; next}
    code && /^```$/ {exit}
    code {print}' "$readme"
}

case $lang in
  cpp)
    extract "C[+][+] example" cpp > "$work/demo.cpp"
    [ -s "$work/demo.cpp" ] || fail "no cpp block under '### C++ example'"
    c++ -std=c++17 -Wall -Wextra -Werror -I"$src/include" "$work/demo.cpp" -L"$build" -lwsc \
      -Wl,-rpath,"$build" -o "$work/demo" || fail "the README C++ example does not compile"
    run=("$work/demo")
    ;;
  python)
    extract "Python example" python > "$work/demo.py"
    [ -s "$work/demo.py" ] || fail "no python block under '### Python example'"
    export PYTHONPATH="$src/bindings/python" WSC_LIBRARY="$build/libwsc.so.0"
    /usr/bin/python3 -m py_compile "$work/demo.py" || fail "the README Python example does not compile"
    run=(/usr/bin/python3 "$work/demo.py")
    ;;
  go)
    extract "Go example" go > "$work/main.go"
    [ -s "$work/main.go" ] || fail "no go block under '### Go example'"
    # As bindings/go/run_tests.sh: the uninstalled wsc.pc, the headers staged
    # under their installed names, no network, caches inside the build dir.
    gobase="$build/go"
    mkdir -p "$gobase/include/wsc" "$gobase/cache" "$gobase/path" "$gobase/tmp"
    cp "$src/capi/wsc.h" "$src/include/wsc/status.h" "$gobase/include/wsc/"
    export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export CGO_ENABLED=1 CGO_CFLAGS="-g -O2 -I$gobase/include"
    export GOCACHE="$gobase/cache" GOPATH="$gobase/path" GOTMPDIR="$gobase/tmp"
    export GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
    # The snippet imports the binding by its module path, as a user would.
    module=$(sed -n 's/^module //p' "$src/bindings/go/go.mod")
    goversion=$(sed -n 's/^go //p' "$src/bindings/go/go.mod")
    printf 'module readme\n\ngo %s\n\nrequire %s v0.0.0\n\nreplace %s => %s\n' \
      "$goversion" "$module" "$module" "$src/bindings/go" > "$work/go.mod"
    (cd "$work" && "${GO:-go}" vet . && "${GO:-go}" build -o demo .) ||
      fail "the README Go example does not build (or go vet complains)"
    run=("$work/demo")
    ;;
  *) fail "unknown language '$lang'" ;;
esac

check_hi_then_refused "${run[@]}"
echo "ok: README $lang example ($(head -c 300 "$work/err.txt"))"
