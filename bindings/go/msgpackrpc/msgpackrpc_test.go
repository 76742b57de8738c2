package msgpackrpc

// The MessagePack-RPC client against the peer the C++ and Python tests use
// (tests/peers/msgpack_rpc_peer.py, python3-websockets + python3-msgpack)
// and against a Node ws + @msgpack/msgpack server
// (tests/peers/node/msgpack_rpc_peer.js).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"wsc.example/wsc"
	"wsc.example/wsc/internal/peertest"
)

// peers are the MessagePack-RPC servers every test runs against.
var peers = map[string]func(t *testing.T) []string{
	"python": func(t *testing.T) []string {
		return []string{"/usr/bin/python3", filepath.Join(peertest.SourceDir(), "tests", "peers", "msgpack_rpc_peer.py")}
	},
	"node": func(t *testing.T) []string {
		dir := filepath.Join(peertest.SourceDir(), "tests", "peers", "node")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@msgpack", "msgpack")); err != nil {
			t.Skip("run npm install in tests/peers/node")
		}
		return []string{"node", filepath.Join(dir, "msgpack_rpc_peer.js")}
	},
}

// eachPeer runs test once per peer with a client dialled to it.
func eachPeer(t *testing.T, cfg wsc.RPCConfig, test func(t *testing.T, c *Client)) {
	for name, command := range peers {
		t.Run(name, func(t *testing.T) {
			argv := command(t)
			url := peertest.URL(t, argv[0], argv[1:]...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, url, cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			t.Cleanup(func() { _ = c.Close() })
			test(t, c)
		})
	}
}

func ctx5(t *testing.T) context.Context { return peertest.Context(t, 5*time.Second) }

type item struct {
	Text  string    `msgpack:"text"`
	List  []float64 `msgpack:"list"`
	Bytes []byte    `msgpack:"bytes"`
}

func TestCallsDecodeResults(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		var sum int
		if err := c.Call(ctx5(t), "add", []int{2, 3}, &sum); err != nil || sum != 5 {
			t.Fatalf("add: %v %d", err, sum)
		}
		in := []item{{Text: "h\u00e9llo \u2603", List: []float64{1, 2.5}, Bytes: []byte{0, 255}}}
		var out []item
		if err := c.Call(ctx5(t), "echo", in, &out); err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
			t.Fatalf("echo: %v %v", err, out)
		}
	})
}

func TestRemoteErrorCarriesTheErrorObject(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		err := c.Call(ctx5(t), "fail", []int{}, nil)
		var remote *wsc.RemoteError
		if !errors.As(err, &remote) || !errors.Is(err, wsc.ErrRemote) {
			t.Fatalf("want *RemoteError, got %v", err)
		}
		var whole []any
		if err := msgpack.Unmarshal(remote.Data, &whole); err != nil {
			t.Fatal(err)
		}
		if remote.Code != 42 || remote.Message != "nope" || fmt.Sprint(whole) != "[42 nope]" {
			t.Fatalf("remote error %+v data %v", remote, whole)
		}
	})
}

func TestNotifyHandlersAndEvents(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		if err := c.Notify("note", []int{7}); err != nil {
			t.Fatal(err)
		}
		var notes [][]int
		if err := c.Call(ctx5(t), "notes", []int{}, &notes); err != nil || fmt.Sprint(notes) != "[[7]]" {
			t.Fatalf("notes: %v %v", err, notes)
		}
		_ = c.Handle("client.double", func(p msgpack.RawMessage) (any, error) {
			var n []int
			if err := msgpack.Unmarshal(p, &n); err != nil {
				return nil, err
			}
			return n[0] * 2, nil
		})
		_ = c.Handle("client.refuse", func(msgpack.RawMessage) (any, error) {
			data, _ := msgpack.Marshal(map[string]int{"x": 1})
			return nil, &wsc.RemoteError{Code: 7, Message: "no", Data: data}
		})
		events := make(chan []any, 1)
		_ = c.Handle("server.event", func(p msgpack.RawMessage) (any, error) {
			var v []any
			err := msgpack.Unmarshal(p, &v)
			events <- v
			return nil, err
		})
		ask := func(method string) map[string]any {
			var answer map[string]any
			if err := c.Call(ctx5(t), "ask_client", []any{method, []int{21}}, &answer); err != nil {
				t.Fatalf("ask_client %s: %v", method, err)
			}
			return answer
		}
		if a := ask("client.double"); fmt.Sprint(a) != "map[result:42]" {
			t.Fatalf("double: %v", a)
		}
		if a := ask("client.refuse"); fmt.Sprint(a) != "map[error:[7 no map[x:1]]]" {
			t.Fatalf("refuse: %v", a)
		}
		if a := ask("client.missing"); fmt.Sprint(a["error"].([]any)[0]) != "-32601" {
			t.Fatalf("missing: %v", a)
		}
		var ok bool
		if err := c.Call(ctx5(t), "notify_me", []any{"server.event", []any{1, "a"}}, &ok); err != nil || !ok {
			t.Fatalf("notify_me: %v", err)
		}
		select {
		case v := <-events:
			if fmt.Sprint(v) != "[1 a]" {
				t.Fatalf("event params %v", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	})
}

func TestDeadlineAndConnectionLoss(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := c.Call(ctx, "slow", []int{3000, 1}, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a deadline error, got %v", err)
		}
		err := peertest.EndedBy(
			func() error { return c.Call(context.Background(), "slow", []int{5000, 1}, nil) },
			func() error { return c.Call(ctx5(t), "drop", []int{}, nil) })
		if !errors.Is(err, wsc.ErrLost) {
			t.Fatalf("want ErrLost, got %v", err)
		}
	})
}

func TestThousandConcurrentCallsFromEightGoroutinesAreMatched(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for _, err := range peertest.Concurrently(8, 125, func(w, i int) error {
			var got [2]int
			if err := c.Call(ctx, "echo", []int{w, i}, &got); err != nil {
				return err
			} else if got != [2]int{w, i} {
				return fmt.Errorf("call %d/%d got %v", w, i, got)
			}
			return nil
		}) {
			t.Error(err)
		}
	})
}

func TestJSONHelpersRefuseAnotherProtocol(t *testing.T) {
	eachPeer(t, wsc.RPCConfig{}, func(t *testing.T, c *Client) {
		if err := c.RPC.Call(ctx5(t), "add", []int{1, 2}, nil); !errors.Is(err, wsc.ErrInvalid) {
			t.Fatalf("JSON Call on MessagePack-RPC: %v", err)
		}
	})
}
