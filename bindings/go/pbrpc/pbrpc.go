// Package pbrpc is an RPC client in wsc's protobuf envelope
// (proto/wsc_envelope.proto: type name, request id, kind, payload bytes) on
// the library's RPC engine: wsc.RPC with RPCConfig.Protocol =
// wsc.ProtobufRPC, whose payloads are messages encoded here with
// google.golang.org/protobuf (Debian golang-google-protobuf-dev). The
// envelope itself is read and written by the library. It is its own module
// so that the binding itself needs only the standard library.
package pbrpc

import (
	"context"

	"google.golang.org/protobuf/proto"

	"wsc.example/wsc"
)

// Client is a protobuf envelope RPC client on one connection. The embedded
// *wsc.RPC gives CallBytes, NotifyBytes, HandleBytes, Close and State; every
// method may be called from any goroutine.
type Client struct {
	*wsc.RPC
}

// Dial connects like wsc.DialRPC in the protobuf envelope (cfg.Protocol is
// set).
func Dial(ctx context.Context, url string, cfg wsc.RPCConfig, opts ...wsc.Option) (*Client, error) {
	cfg.Protocol = wsc.ProtobufRPC
	r, err := wsc.DialRPC(ctx, url, cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{r}, nil
}

// Call sends a REQUEST envelope of type typeName whose payload is params
// (nil: empty) and parses the RESPONSE payload into result (nil to drop
// it). Deadlines and errors as wsc.RPC.CallBytes; an ERROR envelope is a
// *wsc.RemoteError whose Data is its payload (parse it with proto.Unmarshal
// into the type the peer documents).
func (c *Client) Call(ctx context.Context, typeName string, params proto.Message, result proto.Message) error {
	payload, err := encode(params)
	if err != nil {
		return err
	}
	data, err := c.CallBytes(ctx, typeName, payload)
	if err != nil || result == nil {
		return err
	}
	return proto.Unmarshal(data, result)
}

// Notify sends an EVENT envelope of type typeName with params as payload.
func (c *Client) Notify(typeName string, params proto.Message) error {
	payload, err := encode(params)
	if err != nil {
		return err
	}
	return c.NotifyBytes(typeName, payload)
}

// Handle routes the peer's REQUESTs and EVENTs of type typeName to fn with
// the payload parsed into a new P (a generated message type, e.g.
// *structpb.ListValue). fn's message is the RESPONSE payload (nil: empty);
// its error answers an ERROR envelope (a *wsc.RemoteError as such, any
// other as wsc.InternalError; so does a payload that does not parse). An
// EVENT's answer is dropped. fn runs on the library's loop thread: keep it
// short and make no blocking call of this client in it. fn nil removes the
// handler (requests then get the method-not-found error).
func Handle[P proto.Message](c *Client, typeName string, fn func(params P) (proto.Message, error)) error {
	if fn == nil {
		return c.HandleBytes(typeName, nil)
	}
	return c.HandleBytes(typeName, func(payload []byte) ([]byte, error) {
		var zero P
		params := zero.ProtoReflect().New().Interface().(P)
		if err := proto.Unmarshal(payload, params); err != nil {
			return nil, err
		}
		answer, err := fn(params)
		if err != nil {
			return nil, err
		}
		return encode(answer)
	})
}

func encode(m proto.Message) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return proto.Marshal(m)
}
