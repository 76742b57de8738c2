package wsc

// The RPC client against npm `json-rpc-2.0` behind Node `ws`
// (tests/peers/node/jsonrpc_peer.js): add, echo, fail, slow [ms, value],
// ask_client [method, params], notify_me [method, params], note/notes, drop.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"wsc.example/wsc/internal/peertest"
)

func jsonrpcPeer(t *testing.T) string {
	t.Helper()
	script := filepath.Join(sourceDir(), "tests", "peers", "node", "jsonrpc_peer.js")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "json-rpc-2.0")); err != nil {
		t.Skip("run npm install in tests/peers/node")
	}
	return peertest.URL(t, "node", script)
}

func dialRPC(t *testing.T, cfg RPCConfig) *RPC {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialRPC(ctx, jsonrpcPeer(t), cfg)
	if err != nil {
		t.Fatalf("DialRPC: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx5(t *testing.T) context.Context { return peertest.Context(t, 5*time.Second) }

func TestRPCCallDecodesResults(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	var sum int
	if err := c.Call(ctx5(t), "add", []int{2, 3}, &sum); err != nil || sum != 5 {
		t.Fatalf("add: %v %d", err, sum)
	}
	type item struct {
		Text string    `json:"text"`
		List []float64 `json:"list"`
	}
	in := []item{{Text: "h\u00e9llo \u2603", List: []float64{1, 2.5}}}
	var out []item
	if err := c.Call(ctx5(t), "echo", in, &out); err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("echo: %v %v", err, out)
	}
}

func TestRPCRemoteError(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	err := c.Call(ctx5(t), "fail", []int{}, nil)
	var remote *RemoteError
	if !errors.As(err, &remote) || !errors.Is(err, ErrRemote) {
		t.Fatalf("want *RemoteError, got %v", err)
	}
	if remote.Code != 42 || remote.Message != "nope" || string(remote.Data) != `{"why":"asked to"}` {
		t.Fatalf("remote error %+v data %s", remote, remote.Data)
	}
}

func TestRPCDeadlineIsTheContexts(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, "slow", []int{3000, 1}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("deadline took %v", d)
	}
	// Without a context deadline the library's default applies.
	short := dialRPC(t, RPCConfig{DefaultTimeout: 200 * time.Millisecond})
	err = short.Call(context.Background(), "slow", []int{3000, 1}, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
}

func TestRPCConnectionLossAndClose(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	var ok bool
	err := peertest.EndedBy(
		func() error { return c.Call(context.Background(), "slow", []int{5000, 1}, nil) },
		func() error { return c.Call(ctx5(t), "drop", []int{}, &ok) })
	if !errors.Is(err, ErrLost) || !ok {
		t.Fatalf("want ErrLost after drop, got %v", err)
	}

	d := dialRPC(t, RPCConfig{})
	closed := make(chan error, 1)
	go func() { closed <- d.Call(context.Background(), "slow", []int{5000, 1}, nil) }()
	time.Sleep(50 * time.Millisecond)
	_ = d.Close()
	if err := <-closed; !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	if err := d.Call(ctx5(t), "add", []int{1, 2}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
}

func TestRPCNotify(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	if err := c.Notify("note", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	var notes []map[string]int
	if err := c.Call(ctx5(t), "notes", []int{}, &notes); err != nil || len(notes) != 1 || notes[0]["a"] != 1 {
		t.Fatalf("notes: %v %v", err, notes)
	}
}

func TestRPCHandlers(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	if err := c.Handle("double", func(p json.RawMessage) (any, error) {
		var n []int
		if err := json.Unmarshal(p, &n); err != nil {
			return nil, err
		}
		return n[0] * 2, nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = c.Handle("refuse", func(json.RawMessage) (any, error) {
		return nil, &RemoteError{Code: 7, Message: "no", Data: json.RawMessage(`{"x":1}`)}
	})
	_ = c.Handle("gone", func(json.RawMessage) (any, error) { return 1, nil })
	_ = c.Handle("gone", nil)
	events := make(chan string, 1)
	_ = c.Handle("event", func(p json.RawMessage) (any, error) { events <- string(p); return nil, nil })

	ask := func(method string) map[string]any {
		var answer map[string]any
		if err := c.Call(ctx5(t), "ask_client", []any{method, []int{21}}, &answer); err != nil {
			t.Fatalf("ask_client %s: %v", method, err)
		}
		return answer
	}
	if a := ask("double"); a["result"] != 42.0 {
		t.Fatalf("double: %v", a)
	}
	if a := ask("refuse"); a["code"] != 7.0 || a["message"] != "no" || fmt.Sprint(a["data"]) != "map[x:1]" {
		t.Fatalf("refuse: %v", a)
	}
	if a := ask("gone"); a["code"] != -32601.0 {
		t.Fatalf("removed handler: %v", a)
	}
	if err := c.Call(ctx5(t), "notify_me", []any{"event", map[string]int{"n": 1}}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-events:
		if p != `{"n":1}` {
			t.Fatalf("event params %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

func TestRPC1000ConcurrentCalls(t *testing.T) {
	c := dialRPC(t, RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, err := range peertest.Concurrently(8, 125, func(w, i int) error {
		call := w*125 + i
		var got map[string]int
		if err := c.Call(ctx, "slow", []any{50, map[string]int{"call": call}}, &got); err != nil {
			return err
		} else if got["call"] != call {
			return fmt.Errorf("call %d got %v", call, got)
		}
		return nil
	}) {
		t.Error(err)
	}
}

func TestRPCMaxOutstandingWaits(t *testing.T) {
	c := dialRPC(t, RPCConfig{MaxOutstanding: 4})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var got int
			if err := c.Call(ctx5(t), "slow", []int{10, i}, &got); err != nil || got != i {
				errs <- fmt.Errorf("call %d: %v %d", i, err, got)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRPCDialRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := DialRPC(ctx, fmt.Sprintf("ws://127.0.0.1:%d/", freePort(t)), RPCConfig{})
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("want ErrConnect, got %v", err)
	}
}
