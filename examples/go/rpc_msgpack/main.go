// rpc_msgpack: MessagePack-RPC through the Go binding's msgpackrpc package
// (github.com/vmihailenco/msgpack/v5 on the library's RPC engine): a call, a
// notification, a handler the server calls back, a remote error.
//
//	/usr/bin/python3 tests/peers/msgpack_rpc_peer.py   # prints PORT n
//	go run ./rpc_msgpack ws://127.0.0.1:n/
//
// msgpackrpc is a module of its own (so the binding needs only the standard
// library); offline it builds in GOPATH mode against Debian's
// golang-github-vmihailenco-msgpack.v5-dev (see bindings/go/run_tests.sh).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"wsc.example/wsc"
	"wsc.example/wsc/msgpackrpc"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rpc_msgpack ws://HOST:PORT/")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc, err := msgpackrpc.Dial(ctx, os.Args[1], wsc.RPCConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer rpc.Close()

	// The server may call us: answer client.double [x] with 2x.
	_ = rpc.Handle("client.double", func(params msgpack.RawMessage) (any, error) {
		var x []int
		if err := msgpack.Unmarshal(params, &x); err != nil || len(x) != 1 {
			return nil, &wsc.RemoteError{Code: -32602, Message: "want [x]"}
		}
		return 2 * x[0], nil
	})

	var sum int
	if err := rpc.Call(ctx, "add", []int{2, 3}, &sum); err != nil {
		fmt.Fprintln(os.Stderr, "add:", err)
		os.Exit(1)
	}
	fmt.Println("add ->", sum)
	_ = rpc.Notify("note", []string{"hello"})
	var answer map[string]int
	if err := rpc.Call(ctx, "ask_client", []any{"client.double", []int{21}}, &answer); err != nil {
		fmt.Fprintln(os.Stderr, "ask_client:", err)
		os.Exit(1)
	}
	fmt.Println("ask_client ->", answer["result"])
	var remote *wsc.RemoteError
	if err := rpc.Call(ctx, "fail", []int{}, nil); errors.As(err, &remote) {
		fmt.Println("fail -> error", remote.Code, remote.Message)
	} else {
		fmt.Fprintln(os.Stderr, "fail: want a remote error, got", err)
		os.Exit(1)
	}
}
