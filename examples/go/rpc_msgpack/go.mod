module wsc.example/examples/rpc_msgpack

go 1.19

// Built in GOPATH mode (tests/docs/rpc_examples_test.sh), like bindings/go's
// codec packages; this file keeps it out of the examples module.
require wsc.example/wsc v0.0.0

replace wsc.example/wsc => ../../../bindings/go
