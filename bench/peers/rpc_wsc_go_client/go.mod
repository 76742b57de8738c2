module wsc.example/bench_rpc_wsc_go

go 1.19

require wsc.example/wsc v0.0.0

// The binding from this source tree, built by bench/rpc_run like bench/peers/wsc_go_client.
replace wsc.example/wsc => ../../../bindings/go
