// rpc_protobuf: the protobuf envelope (proto/wsc_envelope.proto) through the
// Go binding's pbrpc package: the library writes and reads the envelope,
// payloads are your messages (here the well-known structpb types).
//
//	/usr/bin/python3 tests/peers/protobuf_rpc_peer.py   # prints PORT n
//	go run ./rpc_protobuf ws://127.0.0.1:n/
//
// pbrpc is a module of its own; offline it builds in GOPATH mode against
// Debian's golang-google-protobuf-dev (see bindings/go/run_tests.sh).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"wsc.example/wsc"
	"wsc.example/wsc/pbrpc"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rpc_protobuf ws://HOST:PORT/")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc, err := pbrpc.Dial(ctx, os.Args[1], wsc.RPCConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer rpc.Close()

	// REQUESTs of type client.double carry a ListValue [x]: answer 2x.
	_ = pbrpc.Handle(rpc, "client.double", func(p *structpb.ListValue) (proto.Message, error) {
		if len(p.Values) != 1 {
			return nil, &wsc.RemoteError{Code: -32602, Message: "want [x]"}
		}
		return structpb.NewNumberValue(2 * p.Values[0].GetNumberValue()), nil
	})

	params, _ := structpb.NewList([]any{2, 3})
	var sum structpb.Value
	if err := rpc.Call(ctx, "add", params, &sum); err != nil {
		fmt.Fprintln(os.Stderr, "add:", err)
		os.Exit(1)
	}
	fmt.Println("add ->", sum.GetNumberValue())
	ask, _ := structpb.NewList([]any{"client.double", 21})
	var answer structpb.Struct
	if err := rpc.Call(ctx, "ask_client", ask, &answer); err != nil {
		fmt.Fprintln(os.Stderr, "ask_client:", err)
		os.Exit(1)
	}
	fmt.Println("ask_client ->", answer.AsMap()["result"])
	var remote *wsc.RemoteError
	if err := rpc.Call(ctx, "fail", nil, nil); errors.As(err, &remote) {
		fmt.Println("fail -> error", remote.Code, remote.Message)
	} else {
		fmt.Fprintln(os.Stderr, "fail: want a remote error, got", err)
		os.Exit(1)
	}
}
