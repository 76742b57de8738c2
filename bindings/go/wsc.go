// Package wsc is a Go binding of the wsc WebSocket client library, through
// its flat C ABI (<wsc/wsc.h>, found with pkg-config as "wsc").
//
// A Conn runs in the library's pull mode: messages queue inside the library
// (bounded by WithRecvQueueBytes; a full queue pauses the socket) and Recv
// takes them. Blocking calls take a context: Recv and Dial wait in short
// slices (at most 50 ms) so a cancelled context ends them promptly; Send
// waits for the send queue to drain while it is full. The package starts no
// goroutines; the library's loop thread calls back into Go only for errors,
// close and drain events.
package wsc

/*
#cgo pkg-config: wsc
#include "helpers.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// MessageType is the WebSocket data frame type.
type MessageType int

const (
	Text   MessageType = C.WSC_TEXT
	Binary MessageType = C.WSC_BINARY
)

func (t MessageType) String() string {
	switch t {
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "unknown"
}

// State is the connection state (enum wsc_state).
type State int

const (
	Connecting   State = C.WSC_CONNECTING
	Open         State = C.WSC_OPEN
	Closing      State = C.WSC_CLOSING
	Closed       State = C.WSC_CLOSED
	Reconnecting State = C.WSC_RECONNECTING
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Open:
		return "open"
	case Closing:
		return "closing"
	case Closed:
		return "closed"
	case Reconnecting:
		return "reconnecting"
	}
	return "unknown"
}

// Message is one received message; Data belongs to the caller.
type Message struct {
	Type MessageType
	Data []byte
}

// Stats mirrors wsc_stats.
type Stats struct {
	MsgsSent        uint64
	MsgsReceived    uint64
	BytesSent       uint64
	BytesReceived   uint64
	Reconnects      uint64        // successful re-opens after the first
	SendDiscarded   uint64        // messages never written, dropped at final close
	SendQueueBytes  uint64        // queued, not yet written
	RTTLast         time.Duration // last ping round trip, -1 if none
	RTTSmoothed     time.Duration // smoothed, -1 if none
	ConnectAttempts uint64
	LastHTTPStatus  int // of the last upgrade response, 0 if none
}

// TLSInfo is what TLS negotiated (wsc_tls_info).
type TLSInfo struct {
	Version string
	Cipher  string
	Group   string
}

// slice is the longest a single blocking C call waits, so that a cancelled
// context is noticed within this time.
const slice = 50 * time.Millisecond

// sliceMillis is how long the next blocking C call may wait for ctx.
func sliceMillis(ctx context.Context) C.int {
	d := slice
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			d = left
		}
	}
	if d <= 0 {
		return 0
	}
	return C.int(millis(d))
}

// Conn is one logical WebSocket connection (it lives on across reconnects
// when WithReconnect is on). Send, Recv, Stats, State and Close may be
// called from any goroutines at the same time.
type Conn struct {
	// mu guards c: held for reading around every C call that uses c, and
	// for writing by Close while it frees c.
	mu     sync.RWMutex
	c      *C.wsc_conn // nil after Close
	handle cgo.Handle
	st     *connState

	closeTimeout time.Duration
	final        Stats // the stats at Close
}

// Dial connects to a ws:// or wss:// URL and returns once the connection is
// open, or fails with an *Error (errors.Is(err, ErrConnect), ErrTLS,
// ErrHandshake, ErrTimeout, ...), or with ctx.Err() when ctx ends first.
func Dial(ctx context.Context, url string, opts ...Option) (*Conn, error) {
	cfg := config{closeTimeout: defaultCloseTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	copts := C.wsc_options_new()
	if copts == nil {
		return nil, &Error{Op: "dial", Status: ErrNoMem}
	}
	defer C.wsc_options_free(copts)
	for _, o := range cfg.ints {
		if r := C.wscgo_set_int(copts, o.key, C.int64_t(o.value)); r.status != 0 {
			return nil, errorFrom("option", r)
		}
	}
	for _, o := range cfg.strs {
		cs := C.CString(o.value)
		r := C.wscgo_set_str(copts, o.key, cs)
		C.free(unsafe.Pointer(cs))
		if r.status != 0 {
			return nil, errorFrom("option", r)
		}
	}
	for _, h := range cfg.headers {
		cn, cv := C.CString(h[0]), C.CString(h[1])
		r := C.wscgo_add_header(copts, cn, cv)
		C.free(unsafe.Pointer(cn))
		C.free(unsafe.Pointer(cv))
		if r.status != 0 {
			return nil, errorFrom("option", r)
		}
	}

	st := newConnState()
	h := newHandle(st)
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	var cc *C.wsc_conn
	if r := C.wscgo_connect(curl, copts, C.uintptr_t(h), &cc); r.status != 0 {
		deleteHandle(h)
		return nil, errorFrom("dial", r)
	}
	conn := &Conn{c: cc, handle: h, st: st, closeTimeout: cfg.closeTimeout}

	for {
		s := Status(C.wsc_wait(cc, C.WSC_OPEN, sliceMillis(ctx)))
		if s == 0 {
			return conn, nil
		}
		if s == ErrTimeout && State(C.wsc_conn_state(cc)) != Closed {
			// The slice ran out; the connection is still on its way.
			if err := ctx.Err(); err != nil {
				conn.release()
				return nil, err
			}
			continue
		}
		if s == ErrTimeout {
			// wsc_wait says ETIMEDOUT both for "the wait ran out" and for
			// "the connection ended with ETIMEDOUT". The state is CLOSED,
			// so the connection is finishing (finish() sets the state just
			// before it wakes waiters): a wait for CLOSED returns how it
			// ended, at once.
			s = Status(C.wsc_wait(cc, C.WSC_CLOSED, -1))
			if s == 0 {
				s = ErrClosed
			}
		}
		if st.everOpened() {
			// It opened and has already ended (the server closed at
			// once): Dial succeeded; Recv tells how it ended.
			return conn, nil
		}
		err := &Error{Op: "dial", Status: s, Detail: st.detailFor(s)}
		conn.release()
		return nil, err
	}
}

// release frees the C connection and the handle; callers hold no lock.
func (c *Conn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return
	}
	c.final = statsOf(c.c)
	C.wsc_conn_free(c.c) // no callback starts after this returns
	c.c = nil
	deleteHandle(c.handle)
}

// ended builds the error for a call on a connection that has ended: it
// matches ErrClosed and, when the connection ended abnormally, that status.
func (c *Conn) ended(op string) error {
	e := &Error{Op: op, Status: ErrClosed, ended: true}
	c.mu.RLock()
	if c.c != nil {
		if s := Status(C.wsc_wait(c.c, C.WSC_CLOSED, 0)); s != 0 && s != ErrTimeout {
			e.Status = s
			e.Detail = c.st.detailFor(s)
		}
	}
	c.mu.RUnlock()
	if code, reason, ok := c.st.closeInfo(); ok && e.Detail == "" {
		e.Detail = closeText(code, reason)
	}
	return e
}

func closeText(code int, reason string) string {
	t := "close code " + strconv.Itoa(code)
	if reason != "" {
		t += ", reason " + strconv.Quote(reason)
	}
	return t
}

// Send queues one message; the library copies data. When the send queue is
// full it waits (for the library's drain event, with a backoff as a
// fallback) until there is room or ctx is done, then returns ctx.Err().
// Safe to call from many goroutines.
func (c *Conn) Send(ctx context.Context, typ MessageType, data []byte) error {
	backoff := time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		drained := c.st.drainSignal()
		c.mu.RLock()
		if c.c == nil {
			c.mu.RUnlock()
			return &Error{Op: "send", Status: ErrClosed, Detail: "Close was called", ended: true}
		}
		var p unsafe.Pointer
		if len(data) > 0 {
			p = unsafe.Pointer(&data[0])
		}
		r := C.wscgo_send(c.c, C.int(typ), p, C.size_t(len(data)))
		c.mu.RUnlock()
		switch Status(r.status) {
		case 0:
			return nil
		case ErrAgain:
		case ErrClosed:
			if r.detail != nil {
				C.free(unsafe.Pointer(r.detail))
			}
			return c.ended("send")
		default:
			return errorFrom("send", r)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-drained:
			t.Stop()
		case <-t.C:
			if backoff < slice {
				backoff *= 2
			}
		}
	}
}

// Recv returns the next message, waiting until one arrives, the connection
// ends (an error matching ErrClosed) or ctx is done (ctx.Err()).
func (c *Conn) Recv(ctx context.Context) (Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		c.mu.RLock()
		if c.c == nil {
			c.mu.RUnlock()
			return Message{}, &Error{Op: "recv", Status: ErrClosed, Detail: "Close was called", ended: true}
		}
		var m *C.wsc_message
		r := C.wscgo_recv(c.c, sliceMillis(ctx), &m)
		c.mu.RUnlock()
		switch Status(r.status) {
		case 0:
			msg := Message{Type: MessageType(m._type), Data: make([]byte, int(m.len))}
			if m.len > 0 {
				copy(msg.Data, unsafe.Slice((*byte)(unsafe.Pointer(m.data)), int(m.len)))
			}
			C.wsc_message_free(m)
			return msg, nil
		case ErrTimeout:
			continue
		case ErrClosed:
			if r.detail != nil {
				C.free(unsafe.Pointer(r.detail))
			}
			return Message{}, c.ended("recv")
		default:
			return Message{}, errorFrom("recv", r)
		}
	}
}

// Close closes gracefully: queued messages are sent, then a Close frame
// with code (0 = 1000) and reason; it waits for the close handshake up to
// the close timeout (WithCloseTimeout), then releases everything. Close
// always releases the connection, even when it returns an error (an invalid
// code or reason: ErrInvalid; the handshake did not finish cleanly: that
// status). Closing a connection that the server already ended returns nil;
// a second Close returns an error matching ErrClosed.
func (c *Conn) Close(code int, reason string) error {
	c.mu.RLock()
	if c.c == nil {
		c.mu.RUnlock()
		return &Error{Op: "close", Status: ErrClosed, Detail: "Close was called", ended: true}
	}
	creason := C.CString(reason)
	r := C.wscgo_close(c.c, C.int(code), creason)
	C.free(unsafe.Pointer(creason))
	var err error
	switch Status(r.status) {
	case 0:
		s := Status(C.wsc_wait(c.c, C.WSC_CLOSED, C.int(millis(c.closeTimeout))))
		if s != 0 {
			err = &Error{Op: "close", Status: s, Detail: c.st.detailFor(s)}
		}
	case ErrClosed: // already ended
		if r.detail != nil {
			C.free(unsafe.Pointer(r.detail))
		}
	default:
		err = errorFrom("close", r)
	}
	c.mu.RUnlock()
	c.release()
	return err
}

// CloseStatus returns the close code and reason the connection ended with
// (from the library's on_close), and whether it has ended.
func (c *Conn) CloseStatus() (code int, reason string, ok bool) {
	return c.st.closeInfo()
}

// State returns the connection state (Closed after Close).
func (c *Conn) State() State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return Closed
	}
	return State(C.wsc_conn_state(c.c))
}

// Stats returns the connection's counters; after Close, the last ones.
func (c *Conn) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return c.final
	}
	return statsOf(c.c)
}

func statsOf(cc *C.wsc_conn) Stats {
	var s C.wsc_stats
	if C.wscgo_stats(cc, &s) != 0 {
		return Stats{}
	}
	return Stats{
		MsgsSent:        uint64(s.msgs_sent),
		MsgsReceived:    uint64(s.msgs_received),
		BytesSent:       uint64(s.bytes_sent),
		BytesReceived:   uint64(s.bytes_received),
		Reconnects:      uint64(s.reconnects),
		SendDiscarded:   uint64(s.send_discarded),
		SendQueueBytes:  uint64(s.send_queue_bytes),
		RTTLast:         rtt(int64(s.rtt_us_last)),
		RTTSmoothed:     rtt(int64(s.rtt_us_smoothed)),
		ConnectAttempts: uint64(s.connect_attempts),
		LastHTTPStatus:  int(s.last_http_status),
	}
}

func rtt(us int64) time.Duration {
	if us < 0 {
		return -1
	}
	return time.Duration(us) * time.Microsecond
}

// Subprotocol returns the subprotocol the server selected ("" if none).
func (c *Conn) Subprotocol() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return ""
	}
	var buf [256]C.char
	if C.wsc_conn_subprotocol(c.c, &buf[0], C.size_t(len(buf))) != 0 {
		return ""
	}
	return C.GoString(&buf[0])
}

// TLSInfo returns what TLS negotiated; ErrState for ws:// or before the
// first open.
func (c *Conn) TLSInfo() (TLSInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return TLSInfo{}, &Error{Op: "tls_info", Status: ErrClosed, ended: true}
	}
	var ti C.wsc_tls_info
	if s := Status(C.wscgo_tls_info(c.c, &ti)); s != 0 {
		return TLSInfo{}, &Error{Op: "tls_info", Status: s}
	}
	return TLSInfo{
		Version: C.GoString(&ti.version[0]),
		Cipher:  C.GoString(&ti.cipher[0]),
		Group:   C.GoString(&ti.group[0]),
	}, nil
}

// Version is the library version (wsc_version).
func Version() string { return C.GoString(C.wsc_version()) }
