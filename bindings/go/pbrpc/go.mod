module wsc.example/wsc/pbrpc

go 1.19

require (
	google.golang.org/protobuf v1.28.1
	wsc.example/wsc v0.0.0
)

replace wsc.example/wsc => ../
