package pbrpc

// The protobuf envelope client against the peer the C++ and Python tests
// use (tests/peers/protobuf_rpc_peer.py: python3-websockets +
// python3-protobuf, the envelope compiled from proto/wsc_envelope.proto).
// Payloads are well-known types (structpb, wrapperspb).

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wsc.example/wsc"
	"wsc.example/wsc/internal/peertest"
)

func dial(t *testing.T, cfg wsc.RPCConfig) *Client {
	t.Helper()
	script := filepath.Join(peertest.SourceDir(), "tests", "peers", "protobuf_rpc_peer.py")
	url := peertest.URL(t, "/usr/bin/python3", script)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx5(t *testing.T) context.Context { return peertest.Context(t, 5*time.Second) }

func list(t *testing.T, values ...any) *structpb.ListValue {
	t.Helper()
	l, err := structpb.NewList(values)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCallsParseResults(t *testing.T) {
	c := dial(t, wsc.RPCConfig{})
	var sum structpb.Value
	if err := c.Call(ctx5(t), "add", list(t, 2, 3), &sum); err != nil || sum.GetNumberValue() != 5 {
		t.Fatalf("add: %v %v", err, &sum)
	}
	in := list(t, "h\u00e9llo \u2603", map[string]any{"n": 1.5}, true)
	out := &structpb.ListValue{}
	if err := c.Call(ctx5(t), "echo", in, out); err != nil || !proto.Equal(in, out) {
		t.Fatalf("echo: %v %v", err, out)
	}
	if err := c.Call(ctx5(t), "echo", nil, out); err != nil || len(out.Values) != 0 {
		t.Fatalf("empty echo: %v %v", err, out)
	}
}

func TestErrorEnvelopes(t *testing.T) {
	c := dial(t, wsc.RPCConfig{})
	err := c.Call(ctx5(t), "fail", nil, nil)
	var remote *wsc.RemoteError
	if !errors.As(err, &remote) || !errors.Is(err, wsc.ErrRemote) {
		t.Fatalf("want *RemoteError, got %v", err)
	}
	var why wrapperspb.StringValue
	if err := proto.Unmarshal(remote.Data, &why); err != nil || remote.Code != 42 ||
		remote.Message != "nope" || why.Value != "asked to" {
		t.Fatalf("remote error %+v data %v (%v)", remote, &why, err)
	}
	if err := c.Call(ctx5(t), "no.such.type", nil, nil); !errors.As(err, &remote) || remote.Code != -32601 {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestEventsAndHandlers(t *testing.T) {
	c := dial(t, wsc.RPCConfig{})
	if err := c.Notify("note", list(t, 7)); err != nil {
		t.Fatal(err)
	}
	var notes structpb.ListValue
	if err := c.Call(ctx5(t), "notes", nil, &notes); err != nil || fmt.Sprint(notes.AsSlice()) != "[[7]]" {
		t.Fatalf("notes: %v %v", err, notes.AsSlice())
	}
	if err := Handle(c, "client.double", func(p *structpb.ListValue) (proto.Message, error) {
		return structpb.NewNumberValue(2 * p.Values[0].GetNumberValue()), nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = Handle(c, "client.refuse", func(*structpb.ListValue) (proto.Message, error) {
		return nil, &wsc.RemoteError{Code: 7, Message: "no"}
	})
	events := make(chan []any, 1)
	_ = Handle(c, "server.event", func(p *structpb.ListValue) (proto.Message, error) {
		events <- p.AsSlice()
		return nil, nil
	})
	ask := func(typeName string) map[string]any {
		var answer structpb.Struct
		if err := c.Call(ctx5(t), "ask_client", list(t, typeName, 21), &answer); err != nil {
			t.Fatalf("ask_client %s: %v", typeName, err)
		}
		return answer.AsMap()
	}
	if a := ask("client.double"); fmt.Sprint(a) != "map[result:42]" {
		t.Fatalf("double: %v", a)
	}
	if a := ask("client.refuse"); fmt.Sprint(a) != "map[code:7 message:no]" {
		t.Fatalf("refuse: %v", a)
	}
	if a := ask("client.missing"); a["code"] != -32601.0 {
		t.Fatalf("missing: %v", a)
	}
	if err := c.Call(ctx5(t), "notify_me", list(t, "server.event", "hi"), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-events:
		if fmt.Sprint(v) != "[hi]" {
			t.Fatalf("event payload %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

func TestDeadlineAndConnectionLoss(t *testing.T) {
	c := dial(t, wsc.RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Call(ctx, "slow", list(t, 3000, 1), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a deadline error, got %v", err)
	}
	err := peertest.EndedBy(
		func() error { return c.Call(context.Background(), "slow", list(t, 5000, 1), nil) },
		func() error { return c.Call(ctx5(t), "drop", nil, nil) })
	if !errors.Is(err, wsc.ErrLost) {
		t.Fatalf("want ErrLost, got %v", err)
	}
}

func TestThousandConcurrentCallsFromEightGoroutinesAreMatched(t *testing.T) {
	c := dial(t, wsc.RPCConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, err := range peertest.Concurrently(8, 125, func(w, i int) error {
		in, _ := structpb.NewList([]any{w, i})
		out := &structpb.ListValue{}
		if err := c.Call(ctx, "echo", in, out); err != nil {
			return err
		} else if !proto.Equal(in, out) {
			return fmt.Errorf("call %d/%d got %v", w, i, out.AsSlice())
		}
		return nil
	}) {
		t.Error(err)
	}
}
