// Package msgpackrpc is a MessagePack-RPC client on wsc's RPC engine:
// wsc.RPC with RPCConfig.Protocol = wsc.MsgpackRPC, whose params, results
// and handler values are encoded here with github.com/vmihailenco/msgpack/v5
// (Debian golang-github-vmihailenco-msgpack.v5-dev). It is its own module so
// that the binding itself needs only the standard library.
package msgpackrpc

import (
	"context"

	"github.com/vmihailenco/msgpack/v5"

	"wsc.example/wsc"
)

// Client is a MessagePack-RPC client on one connection. The embedded
// *wsc.RPC gives CallBytes, NotifyBytes, HandleBytes, Close and State; every
// method may be called from any goroutine.
type Client struct {
	*wsc.RPC
}

// Handler answers a request of the peer with its return value (encoded
// with msgpack.Marshal) or its error (a *wsc.RemoteError as such, any other
// as wsc.InternalError), or receives a notification (the value is dropped).
// params is the request's params array, still encoded (decode it with
// msgpack.Unmarshal). It runs on the library's loop thread: keep it short
// and make no blocking call of this client in it.
type Handler func(params msgpack.RawMessage) (any, error)

// Dial connects like wsc.DialRPC in MessagePack-RPC (cfg.Protocol is set).
func Dial(ctx context.Context, url string, cfg wsc.RPCConfig, opts ...wsc.Option) (*Client, error) {
	cfg.Protocol = wsc.MsgpackRPC
	r, err := wsc.DialRPC(ctx, url, cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{r}, nil
}

// Call sends [0, msgid, method, params] with params encoded by
// msgpack.Marshal (the spec wants an array: a slice or array; nil for
// none) and decodes the result into result (a pointer, or nil to drop it).
// Deadlines and errors as wsc.RPC.CallBytes; a *wsc.RemoteError's Data is
// the whole error object the peer sent (decode it with msgpack.Unmarshal;
// Code and Message are read from [code, message, ...] or {"code",
// "message"} when it has that shape).
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	payload, err := encode(params)
	if err != nil {
		return err
	}
	data, err := c.CallBytes(ctx, method, payload)
	if err != nil || result == nil {
		return err
	}
	return msgpack.Unmarshal(data, result)
}

// Notify sends [2, method, params]; params as for Call.
func (c *Client) Notify(method string, params any) error {
	payload, err := encode(params)
	if err != nil {
		return err
	}
	return c.NotifyBytes(method, payload)
}

// Handle routes the peer's requests and notifications named method to fn;
// nil removes the handler (requests then get the method-not-found error).
func (c *Client) Handle(method string, fn Handler) error {
	if fn == nil {
		return c.HandleBytes(method, nil)
	}
	return c.HandleBytes(method,
		wsc.EncodeAnswers(func(p []byte) (any, error) { return fn(p) }, msgpack.Marshal))
}

func encode(params any) ([]byte, error) {
	if params == nil {
		return nil, nil
	}
	return msgpack.Marshal(params)
}
