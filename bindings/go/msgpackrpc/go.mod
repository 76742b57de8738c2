module wsc.example/wsc/msgpackrpc

go 1.19

require (
	github.com/vmihailenco/msgpack/v5 v5.3.5
	wsc.example/wsc v0.0.0
)

replace wsc.example/wsc => ../
