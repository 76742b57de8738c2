module wsc.example/echo_chat

go 1.19

require wsc.example/wsc v0.0.0

// The binding from this source tree; it finds libwsc with `pkg-config wsc`.
replace wsc.example/wsc => ../../bindings/go
