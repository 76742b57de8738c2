// rpc: JSON-RPC 2.0 through the Go binding: a call, a notification, a
// handler the server calls back, a remote error, and 100 concurrent calls.
//
//	node tests/peers/node/jsonrpc_peer.js   # prints PORT n
//	go run ./rpc ws://127.0.0.1:n/
//
// The binding uses cgo with `pkg-config wsc` (an installed libwsc).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"wsc.example/wsc"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rpc ws://HOST:PORT/")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc, err := wsc.DialRPC(ctx, os.Args[1], wsc.RPCConfig{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer rpc.Close()

	// The server may call us: answer client.double with twice the number.
	_ = rpc.Handle("client.double", func(params json.RawMessage) (any, error) {
		var n []int
		if err := json.Unmarshal(params, &n); err != nil {
			return nil, err
		}
		return 2 * n[0], nil
	})

	var sum int
	if err := rpc.Call(ctx, "add", []int{2, 3}, &sum); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("add ->", sum)
	_ = rpc.Notify("note", map[string]string{"hello": "world"})
	var answer map[string]any
	_ = rpc.Call(ctx, "ask_client", []any{"client.double", []int{21}}, &answer)
	fmt.Println("ask_client ->", answer)
	var remote *wsc.RemoteError
	if err := rpc.Call(ctx, "fail", []int{}, nil); errors.As(err, &remote) {
		fmt.Println("fail -> error", remote.Code, remote.Message)
	}

	var wg sync.WaitGroup
	results := make([]int, 100)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = rpc.Call(ctx, "add", []int{i, i}, &results[i])
		}(i)
	}
	wg.Wait()
	fmt.Println("100 concurrent adds ->", results[:5], "...")
}
