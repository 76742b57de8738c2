package wsc

// RPC: request/response calls over one wsc connection, on the library's RPC
// engine (<wsc/wsc_rpc.h>: ids, deadlines, correlation, reconnects and
// method-not-found live in the C core), in JSON-RPC 2.0, MessagePack-RPC or
// the protobuf envelope. Params and results cross the ABI encoded: the
// *Bytes methods take and return them as they are; Call, Notify and Handle
// encode JSON with encoding/json (JSON-RPC). The subpackages msgpackrpc and
// pbrpc do the same with msgpack and protobuf, so this package needs only
// the standard library.
//
// Nothing polls: a Call hands the library a completion (a cgo.Handle of a
// one-slot channel) that the loop thread fills when the answer, the
// deadline or the connection's end arrives, and the goroutine waits on that
// channel and its context. Handlers run on the loop thread.

/*
#include "rpc_helpers.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// InternalError is the code a Handler's plain error is answered with.
const InternalError = -32603

// RemoteError is the peer's error answer to a call (ErrRemote); return one
// from a handler to answer with it.
type RemoteError struct {
	Code    int64
	Message string
	// Encoded in the protocol's codec; nil when absent. JSON-RPC: the
	// error's "data". MessagePack-RPC: the whole error object the peer sent
	// (answering, the third element of [code, message, data]). Protobuf:
	// the envelope's payload.
	Data []byte
}

func (e *RemoteError) Error() string { return "wsc: remote error: " + e.Message }

// Is matches ErrRemote.
func (e *RemoteError) Is(target error) bool { return target == ErrRemote }

// Handler answers a JSON-RPC request of the peer (its return value, or its
// error: a *RemoteError as such, any other as InternalError) or receives a
// notification (the return value is dropped). params is nil when the
// request has none. It runs on the library's loop thread: keep it short and
// make no blocking call of this client in it.
type Handler func(params json.RawMessage) (any, error)

// BytesHandler is a Handler that gets and returns encoded bytes (nil result:
// the protocol's null/empty result).
type BytesHandler func(params []byte) ([]byte, error)

// Protocol is the wire protocol of an RPC client.
type Protocol int

// The protocols of <wsc/wsc_rpc.h>.
const (
	JSONRPC     Protocol = C.WSC_RPC_JSONRPC    // JSON-RPC 2.0, text frames
	MsgpackRPC  Protocol = C.WSC_RPC_MSGPACKRPC // MessagePack-RPC, binary frames
	ProtobufRPC Protocol = C.WSC_RPC_PROTOBUF   // proto/wsc_envelope.proto, binary frames
)

// RPCConfig tunes an RPC client; the zero value is the library's defaults.
type RPCConfig struct {
	// The wire protocol; 0 = JSONRPC.
	Protocol Protocol
	// Deadline of a Call whose context has none; 0 = 30 s, negative = none.
	DefaultTimeout time.Duration
	// Calls waiting for an answer; at the bound Call waits for one to end.
	// 0 = 4096.
	MaxOutstanding int
	// FailWhileReconnecting makes calls fail at once (ErrState) while the
	// connection reconnects, instead of waiting for the new connection.
	FailWhileReconnecting bool
}

// RPC is an RPC client on one connection; every method may be called from
// any goroutine.
type RPC struct {
	proto  Protocol
	mu     sync.RWMutex // guards r: read-held around C calls, write-held to free it
	r      *C.wsc_rpc
	handle cgo.Handle // of st: handlers
	conn   cgo.Handle // of cst: the connection's events, as for a Conn (callbacks.go)
	st     *rpcState
	cst    *connState
}

// rpcState is what handlers and completions reach through cgo.Handles.
type rpcState struct {
	mu          sync.Mutex
	handlers    map[string]BytesHandler
	outstanding int
	room        chan struct{} // closed and replaced when a call ends
}

type rpcOutcome struct {
	status  Status
	data    []byte
	code    int64
	message string
}

// DialRPC connects like Dial and returns once the connection is open.
func DialRPC(ctx context.Context, url string, cfg RPCConfig, opts ...Option) (*RPC, error) {
	var conf config
	for _, o := range opts {
		o(&conf)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	copts, err := conf.cOptions()
	if err != nil {
		return nil, err
	}
	defer C.wsc_options_free(copts)
	var ccfg C.wsc_rpc_config
	C.wsc_rpc_config_init(&ccfg)
	if cfg.Protocol == 0 {
		cfg.Protocol = JSONRPC
	}
	ccfg.protocol = C.int(cfg.Protocol)
	switch {
	case cfg.DefaultTimeout < 0:
		ccfg.default_timeout_ms = 0
	case cfg.DefaultTimeout > 0:
		ccfg.default_timeout_ms = C.int64_t(millis(cfg.DefaultTimeout))
	}
	if cfg.MaxOutstanding > 0 {
		ccfg.max_outstanding = C.size_t(cfg.MaxOutstanding)
	}
	if cfg.FailWhileReconnecting {
		ccfg.wait_for_reconnect = 0
	}

	st := &rpcState{handlers: map[string]BytesHandler{}, room: make(chan struct{})}
	cst := newConnState()
	c := &RPC{proto: cfg.Protocol, handle: cgo.NewHandle(st), conn: newHandle(cst), st: st, cst: cst}
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	if r := C.wscgo_rpc_connect(curl, copts, &ccfg, C.uintptr_t(c.conn), &c.r); r.status != 0 {
		c.handle.Delete()
		deleteHandle(c.conn)
		return nil, errorFrom("dial", r)
	}
	select {
	case <-cst.opened:
		return c, nil
	case <-cst.ended:
		if cst.everOpened() { // opened and ended at once: calls tell how it ended
			return c, nil
		}
		cst.mu.Lock()
		s, d := cst.lastStatus, cst.lastDetail
		cst.mu.Unlock()
		c.free()
		if s == 0 {
			s = ErrClosed
		}
		return nil, &Error{Op: "dial", Status: s, Detail: d}
	case <-ctx.Done():
		c.free()
		return nil, ctx.Err()
	}
}

// Call calls method of a JSON-RPC peer with params (encoded with
// json.Marshal; nil for none, json.RawMessage as is) and decodes the result
// into result (a pointer, or nil to drop it). Errors as CallBytes, and
// ErrInvalid on a client of another protocol.
func (c *RPC) Call(ctx context.Context, method string, params any, result any) error {
	payload, err := c.encodeJSON("call", params)
	if err != nil {
		return err
	}
	data, err := c.CallBytes(ctx, method, payload)
	if err != nil || result == nil {
		return err
	}
	return json.Unmarshal(data, result)
}

// CallBytes calls method with params encoded in the protocol's codec (nil
// for none) and returns the encoded result. The context's deadline is the
// call's deadline in the library (else RPCConfig.DefaultTimeout);
// cancelling the context returns ctx.Err() at once (a late answer is
// dropped). At MaxOutstanding it waits for a call to end. Errors:
// *RemoteError, an *Error with ErrTimeout (also matches
// context.DeadlineExceeded), ErrLost (the connection dropped after the call
// was sent), ErrClosed.
func (c *RPC) CallBytes(ctx context.Context, method string, params []byte) ([]byte, error) {
	ch := make(chan rpcOutcome, 1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		room := c.st.roomSignal()
		r := c.start(ctx, method, params, ch)
		if r.status == 0 {
			break
		}
		if Status(r.status) != ErrAgain {
			return nil, errorFrom("call", r)
		}
		if c.st.idle() {
			// Every call ended (end() closes room as it counts the last one
			// out): retry if any ended since the attempt, else the refusal
			// was not max_outstanding but a full send queue.
			select {
			case <-room:
				continue
			default:
				return nil, errorFrom("call", r)
			}
		}
		select { // max_outstanding reached: wait until a call ends
		case <-room:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case o := <-ch:
		return o.data, o.err()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// encodeJSON is json.Marshal for the JSON helpers, which only a JSON-RPC
// client has.
func (c *RPC) encodeJSON(op string, v any) ([]byte, error) {
	if c.proto != JSONRPC {
		return nil, &Error{Op: op, Status: ErrInvalid, Detail: "JSON values need a JSON-RPC client; use the *Bytes methods"}
	}
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// start makes the call; ch gets its outcome once (r.status 0) or never.
func (c *RPC) start(ctx context.Context, method string, payload []byte, ch chan rpcOutcome) C.wscgo_result {
	timeout := C.int(-1)
	if dl, ok := ctx.Deadline(); ok {
		timeout = C.int(max64(1, millis(time.Until(dl))))
	}
	cm := C.CString(method)
	defer C.free(unsafe.Pointer(cm))
	h := cgo.NewHandle(rpcCall{ch: ch, st: c.st})
	c.st.begin()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.r == nil {
		h.Delete()
		c.st.end()
		return C.wscgo_result{status: C.WSC_ECLOSED}
	}
	r := C.wscgo_rpc_call(c.r, cm, bytesPtr(payload), C.size_t(len(payload)), timeout, C.uintptr_t(h))
	if r.status != 0 {
		h.Delete()
		c.st.end()
	}
	return r
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func (o rpcOutcome) err() error {
	switch o.status {
	case 0:
		return nil
	case ErrRemote:
		return &RemoteError{Code: o.code, Message: o.message, Data: o.data}
	}
	return &Error{Op: "call", Status: o.status, Detail: o.message,
		ended: o.status == ErrLost || o.status == ErrClosed}
}

// Notify sends a JSON-RPC notification (no answer); params as for Call.
func (c *RPC) Notify(method string, params any) error {
	payload, err := c.encodeJSON("notify", params)
	if err != nil {
		return err
	}
	return c.NotifyBytes(method, payload)
}

// NotifyBytes sends a notification (MessagePack-RPC: [2, method, params];
// protobuf: an EVENT) with params encoded in the protocol's codec.
func (c *RPC) NotifyBytes(method string, params []byte) error {
	cm := C.CString(method)
	defer C.free(unsafe.Pointer(cm))
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.r == nil {
		return &Error{Op: "notify", Status: ErrClosed, ended: true}
	}
	if r := C.wscgo_rpc_notify(c.r, cm, bytesPtr(params), C.size_t(len(params))); r.status != 0 {
		return errorFrom("notify", r)
	}
	return nil
}

// Handle routes the peer's JSON-RPC requests and notifications named method
// to fn; nil removes the handler (requests then get method-not-found).
// ErrInvalid on a client of another protocol.
func (c *RPC) Handle(method string, fn Handler) error {
	if _, err := c.encodeJSON("handle", nil); err != nil {
		return err
	}
	if fn == nil {
		return c.HandleBytes(method, nil)
	}
	return c.HandleBytes(method, EncodeAnswers(func(p []byte) (any, error) { return fn(p) }, json.Marshal))
}

// EncodeAnswers makes a BytesHandler of a handler that answers with a
// value: the value is encoded with marshal (a codec's Marshal), its error
// answers as for Handler.
func EncodeAnswers(fn func(params []byte) (any, error), marshal func(any) ([]byte, error)) BytesHandler {
	return func(params []byte) ([]byte, error) {
		value, err := fn(params)
		if err != nil {
			return nil, err
		}
		return marshal(value)
	}
}

// HandleBytes routes the peer's requests and notifications (protobuf:
// REQUESTs and EVENTs of that type name) named method to fn, which gets and
// returns encoded bytes: its error answers as for Handler. nil removes the
// handler (requests then get method-not-found).
func (c *RPC) HandleBytes(method string, fn BytesHandler) error {
	cm := C.CString(method)
	defer C.free(unsafe.Pointer(cm))
	c.st.mu.Lock()
	if fn == nil {
		delete(c.st.handlers, method)
	} else {
		c.st.handlers[method] = fn
	}
	c.st.mu.Unlock()
	set := C.int(0)
	if fn != nil {
		set = 1
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.r == nil {
		return &Error{Op: "handle", Status: ErrClosed, ended: true}
	}
	if r := C.wscgo_rpc_on(c.r, cm, set, C.uintptr_t(c.handle)); r.status != 0 {
		return errorFrom("handle", r)
	}
	return nil
}

// Close closes the connection (waiting up to 5 s for the close handshake)
// and frees the client; outstanding calls end with ErrClosed.
func (c *RPC) Close() error {
	c.mu.RLock()
	r := c.r
	if r != nil {
		C.wsc_rpc_close(r, 1000, nil)
	}
	c.mu.RUnlock()
	if r == nil {
		return nil
	}
	select {
	case <-c.cst.ended:
	case <-time.After(defaultCloseTimeout):
	}
	c.free()
	return nil
}

// free ends outstanding calls (their completions run here) and frees the
// handle; no callback runs after wsc_rpc_free, so the state's handle goes.
func (c *RPC) free() {
	c.mu.Lock()
	r := c.r
	c.r = nil
	c.mu.Unlock()
	if r != nil {
		C.wsc_rpc_free(r)
		c.handle.Delete()
		deleteHandle(c.conn)
	}
}

// State is the connection's state.
func (c *RPC) State() State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.r == nil {
		return Closed
	}
	return State(C.wsc_rpc_state(c.r))
}

// rpcCall is what a call's completion reaches through its cgo.Handle.
type rpcCall struct {
	ch chan rpcOutcome
	st *rpcState
}

func (s *rpcState) begin() {
	s.mu.Lock()
	s.outstanding++
	s.mu.Unlock()
}

// end counts a call out and wakes callers waiting for room.
func (s *rpcState) end() {
	s.mu.Lock()
	s.outstanding--
	close(s.room)
	s.room = make(chan struct{})
	s.mu.Unlock()
}

func (s *rpcState) roomSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.room
}

func (s *rpcState) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outstanding == 0
}

func rpcStateOf(h C.uintptr_t) *rpcState { return cgo.Handle(h).Value().(*rpcState) }

//export wscgoRpcDone
func wscgoRpcDone(h C.uintptr_t, status C.int, data unsafe.Pointer, n C.size_t, code C.int64_t, message *C.char) {
	handle := cgo.Handle(h)
	call := handle.Value().(rpcCall)
	handle.Delete()
	o := rpcOutcome{status: Status(status), code: int64(code), message: C.GoString(message)}
	if n > 0 {
		o.data = C.GoBytes(data, C.int(n))
	}
	call.ch <- o // one slot, one completion: never blocks
	call.st.end()
}

//export wscgoRpcHandle
func wscgoRpcHandle(h C.uintptr_t, method *C.char, params unsafe.Pointer, n C.size_t, reply *C.wsc_rpc_reply) {
	s := rpcStateOf(h)
	name := C.GoString(method)
	s.mu.Lock()
	fn := s.handlers[name]
	s.mu.Unlock()
	var in []byte
	if n > 0 {
		in = C.GoBytes(params, C.int(n))
	}
	if fn == nil { // removed while the request was on its way
		if reply != nil {
			replyError(reply, -32601, "Method not found", nil)
		}
		return
	}
	out, err := callHandler(fn, in)
	if reply == nil {
		return
	}
	if err == nil {
		C.wsc_rpc_reply_result(reply, bytesPtr(out), C.size_t(len(out)))
		return
	}
	var remote *RemoteError
	if errors.As(err, &remote) {
		replyError(reply, remote.Code, remote.Message, remote.Data)
		return
	}
	replyError(reply, InternalError, "Internal error: "+err.Error(), nil)
}

// callHandler runs fn; a panic is answered as an internal error instead of
// crashing the loop thread.
func callHandler(fn BytesHandler, params []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("handler panicked")
		}
	}()
	return fn(params)
}

func replyError(reply *C.wsc_rpc_reply, code int64, message string, data []byte) {
	cm := C.CString(message)
	defer C.free(unsafe.Pointer(cm))
	C.wsc_rpc_reply_error(reply, C.int64_t(code), cm, bytesPtr(data), C.size_t(len(data)))
}
