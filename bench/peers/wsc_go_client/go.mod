module wsc.example/bench_wsc_go

go 1.19

require wsc.example/wsc v0.0.0

// The binding from this source tree; bench/run builds it against the meson build dir
// (pkg-config wsc-uninstalled, staged headers on CGO_CFLAGS, like bindings/go/run_tests.sh).
replace wsc.example/wsc => ../../../bindings/go
