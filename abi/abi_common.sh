# Sourced by update-baseline.sh and check.sh: how the C ABI of a built
# libwsc is written as an abixml corpus, the same way for the baseline and
# for the check (only then does a diff mean a change in the library).
#
# abi_dump LIB OUT: stage the public C headers as <dir>/wsc/*.h (what a user
# includes) and run abidw with them, so types not defined in those headers
# (the C++ core behind the handles) are dropped. Locations are file names
# only, so the corpus does not depend on where the tree or build lives.
abi_dir=$(cd "$(dirname "$0")" && pwd)
src_dir=$(dirname "$abi_dir")

abi_dump() {
  local lib=$1 out=$2 stage
  stage=$(mktemp -d)
  mkdir -p "$stage/wsc"
  cp "$src_dir"/capi/*.h "$src_dir"/include/wsc/*.h "$stage/wsc/"
  abidw --headers-dir "$stage/wsc" --drop-private-types --drop-undefined-syms \
    --suppressions "$abi_dir/c-abi.suppr" --no-corpus-path --no-comp-dir-path --short-locs \
    --out-file "$out" "$lib"
  local rc=$?
  rm -rf "$stage"
  return $rc
}
