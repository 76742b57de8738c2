// Package wsc is a Go binding of the wsc WebSocket client library, through
// its flat C ABI (<wsc/wsc.h>, found with pkg-config as "wsc").
//
// A Conn runs in the library's pull mode: messages queue inside the library
// (bounded by WithRecvQueueBytes; a full queue pauses the socket) and Recv
// takes them, several per cgo call (wsc_recv_many). A Recv that finds none
// waits in the Go netpoller on an eventfd that the library writes to when
// messages arrive (wsc_conn_notify_fd), so it holds neither an OS thread nor
// the scheduler's P. Blocking calls take a context and wait in short slices
// (at most 50 ms) so a cancelled context ends them promptly; Send waits for
// the send queue to drain while it is full. The package starts no
// goroutines; the library's loop thread calls back into Go only for open,
// errors, close and drain events.
package wsc

/*
#cgo pkg-config: wsc
#include "helpers.h"
*/
import "C"

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	LastHTTPStatus  int    // of the last upgrade response, 0 if none
	HTTPFromProxy   bool   // LastHTTPStatus is the proxy's answer to CONNECT
	RecvDiscarded   uint64 // arrived after our Close with the receive queue full
	// Message payload bytes on the wire: after permessage-deflate compresses
	// them (BytesSent/BytesReceived count them before).
	WireBytesSent     uint64
	WireBytesReceived uint64
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
	w      *C.wscgo_conn
	handle cgo.Handle
	st     *connState

	// The readiness notifier Recv waits on (see recvWait); created by the
	// first Recv that finds the queue empty, closed by release.
	nmu         sync.Mutex // serialises creating it
	notify      atomic.Pointer[notifier]
	notifyFails atomic.Bool // it could not be created: wait inside wsc_recv_many

	// rmu serialises taking from the library and guards pending: messages
	// taken (at most one wsc_recv_many batch) that Recv has not returned yet,
	// oldest first.
	rmu      sync.Mutex
	pending  []Message
	pendHead int

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
	copts, err := cfg.cOptions()
	if err != nil {
		return nil, err
	}
	defer C.wsc_options_free(copts)

	st := newConnState()
	st.hooks = cfg.hooks
	h := newHandle(st)
	w := C.wscgo_conn_new(C.uintptr_t(h))
	if w == nil {
		deleteHandle(h)
		return nil, &Error{Op: "dial", Status: ErrNoMem}
	}
	if cfg.hooks.onPing != nil || cfg.hooks.onPong != nil {
		if r := C.wscgo_set_on_control(copts, w); r.status != 0 {
			C.wscgo_conn_free(w)
			deleteHandle(h)
			return nil, errorFrom("dial", r)
		}
	}
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	var cc *C.wsc_conn
	if r := C.wscgo_connect(curl, copts, w, &cc); r.status != 0 {
		C.wscgo_conn_free(w)
		deleteHandle(h)
		return nil, errorFrom("dial", r)
	}
	conn := &Conn{c: cc, w: w, handle: h, st: st, closeTimeout: cfg.closeTimeout}

	s, err := conn.waitOpen(ctx)
	if err != nil {
		conn.release()
		return nil, err
	}
	if s == 0 || st.everOpened() {
		// Opened; if it has already ended too (the server closed at once),
		// Dial still succeeded and Recv tells how it ended.
		return conn, nil
	}
	e := &Error{Op: "dial", Status: s, Detail: st.detailFor(s)}
	if s == ErrHandshake || s == ErrServer {
		e.HTTPStatus = conn.Stats().LastHTTPStatus
		e.Header = conn.ResponseHeader()
	}
	conn.release()
	return nil, e
}

// cOptions builds the C options; the caller frees them.
func (cfg *config) cOptions() (*C.wsc_options, error) {
	copts := C.wsc_options_new()
	if copts == nil {
		return nil, &Error{Op: "option", Status: ErrNoMem}
	}
	fail := func(r C.wscgo_result) (*C.wsc_options, error) {
		C.wsc_options_free(copts)
		return nil, errorFrom("option", r)
	}
	for _, o := range cfg.ints {
		if r := C.wscgo_set_int(copts, o.key, C.int64_t(o.value)); r.status != 0 {
			return fail(r)
		}
	}
	for _, o := range cfg.strs {
		cs := C.CString(o.value)
		r := C.wscgo_set_str(copts, o.key, cs)
		C.free(unsafe.Pointer(cs))
		if r.status != 0 {
			return fail(r)
		}
	}
	for _, h := range cfg.headers {
		cn, cv := C.CString(h[0]), C.CString(h[1])
		r := C.wscgo_add_header(copts, cn, cv)
		C.free(unsafe.Pointer(cn))
		C.free(unsafe.Pointer(cv))
		if r.status != 0 {
			return fail(r)
		}
	}
	return copts, nil
}

// blockingWaits bounds the OS threads that Dial and Close keep blocked
// inside wsc_wait (a cgo call holds its thread; Go stops a program at 10,000
// threads). A wait that finds no slot free sleeps on a channel that the
// on_open/on_close callbacks close instead: no thread, but the wake-up goes
// through the Go scheduler.
var blockingWaits = make(chan struct{}, 128)

// waitOpen waits until the connection has opened (0) or has ended without
// opening (the status that ended it), or ctx is done (ctx.Err()). Only Dial
// calls it, before anyone else can see the Conn.
func (c *Conn) waitOpen(ctx context.Context) (Status, error) {
	cc := c.c
	select {
	case blockingWaits <- struct{}{}:
		defer func() { <-blockingWaits }()
	default:
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-c.st.opened:
		case <-c.st.ended:
		}
		// It has opened, or on_close has run and the connection is marked
		// finished just after: this returns at once.
		return Status(C.wsc_wait(cc, C.WSC_OPEN, -1)), nil
	}
	for {
		// ErrWait: only the slice ran out, the connection is on its way.
		// Anything else (ErrTimeout included) is how it ended.
		s := Status(C.wsc_wait(cc, C.WSC_OPEN, sliceMillis(ctx)))
		if s != ErrWait {
			return s, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// waitClosed waits up to the close timeout for the connection to end and
// returns how it ended (wsc_wait(CLOSED)), or ErrWait when the close
// timeout ran out first; c.mu is held for reading.
func (c *Conn) waitClosed() Status {
	select {
	case blockingWaits <- struct{}{}:
		s := Status(C.wsc_wait(c.c, C.WSC_CLOSED, C.int(millis(c.closeTimeout))))
		<-blockingWaits
		return s
	default:
	}
	t := time.NewTimer(c.closeTimeout)
	defer t.Stop()
	select {
	case <-c.st.ended:
		// Marked finished just after on_close returns: at once.
		return Status(C.wsc_wait(c.c, C.WSC_CLOSED, -1))
	case <-t.C:
		return ErrWait
	}
}

// release frees the C connection and the handle; callers hold no lock.
func (c *Conn) release() {
	c.mu.Lock()
	if c.c == nil {
		c.mu.Unlock()
		return
	}
	c.final = statsOf(c.c)
	C.wsc_conn_free(c.c) // no callback starts after this returns
	c.c = nil
	n := c.notify.Swap(nil)
	C.wscgo_conn_free(c.w)
	c.w = nil
	c.rmu.Lock()
	c.pending, c.pendHead = nil, 0 // discarded, like the library's queue
	c.rmu.Unlock()
	deleteHandle(c.handle)
	c.mu.Unlock()
	if n != nil {
		// Wakes a Recv waiting on it. Not under c.mu: Close waits until
		// that Recv's poll callback (readable, which takes c.mu) returns.
		n.f.Close()
	}
}

// ended builds the error for a call on a connection that has ended: it
// matches ErrClosed and, when the connection ended abnormally, that status.
func (c *Conn) ended(op string) error {
	e := &Error{Op: op, Status: ErrClosed, ended: true}
	c.mu.RLock()
	if c.c != nil {
		if s := Status(C.wsc_wait(c.c, C.WSC_CLOSED, 0)); s != 0 && s != ErrWait {
			e.Status = s
			e.Detail = c.st.detailFor(s)
		}
	}
	c.mu.RUnlock()
	if code, reason, ok := c.st.closeInfo(); ok {
		e.CloseCode, e.CloseReason = code, reason
		if e.Detail == "" {
			e.Detail = closeText(code, reason)
		}
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
	var drained <-chan struct{} // taken after a full queue, before the retry
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
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
			if drained == nil {
				// The queue is full. Take the drain signal, then try once
				// more: a drain between the send and now is not lost.
				drained = c.st.drainSignal()
				continue
			}
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
		drained = nil
	}
}

// What one wsc_recv_many call takes at most from the library's bounded
// queue: Recv holds these ahead of the caller (plus one message of any size,
// the first of a batch is always taken).
const (
	recvBatchMsgs  = 128
	recvBatchBytes = 64 << 10
)

// Recv returns the next message, waiting until one arrives, the connection
// ends (an error matching ErrClosed) or ctx is done (ctx.Err()).
func (c *Conn) Recv(ctx context.Context) (Message, error) {
	var timeout C.int // the first look does not wait
	for {
		if err := ctx.Err(); err != nil {
			return Message{}, err
		}
		m, ok, err := c.take(timeout)
		if err == errEnded {
			return Message{}, c.ended("recv") // it takes c.mu itself
		}
		if ok || err != nil {
			return m, err
		}
		timeout = c.recvWait(ctx)
	}
}

// errEnded is take's "the connection has ended (WSC_ECLOSED)".
var errEnded = errors.New("ended")

// take returns the next message taken earlier, or takes the queued ones
// from the library (waiting in wsc_recv_many up to timeout ms when timeout
// is not 0); ok false when there was none.
func (c *Conn) take(timeout C.int) (Message, bool, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return Message{}, false, &Error{Op: "recv", Status: ErrClosed, Detail: "Close was called", ended: true}
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if m, ok := c.popPending(); ok {
		return m, true, nil
	}
	if err := c.fill(timeout); err != nil {
		return Message{}, false, err
	}
	m, ok := c.popPending()
	return m, ok, nil
}

// fill moves the messages queued in the library into pending: nil when it
// took some or there were none (ErrWait), errEnded, or another error.
// c.mu (for reading) and rmu are held.
func (c *Conn) fill(timeout C.int) error {
	r := C.wscgo_recv_many(c.c, timeout, recvBatchMsgs, recvBatchBytes)
	switch Status(r.status) {
	case 0:
	case ErrWait:
		return nil
	case ErrClosed:
		if r.detail != nil {
			C.free(unsafe.Pointer(r.detail))
		}
		return errEnded
	default:
		return errorFrom("recv", C.wscgo_result{status: r.status, detail: r.detail})
	}
	b := r.batch
	n := int(b.count)
	lens := unsafe.Slice(b.lens, n)
	types := unsafe.Slice(b.types, n)
	data := unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.bytes))
	off := 0
	for i := 0; i < n; i++ {
		l := int(lens[i])
		d := make([]byte, l)
		copy(d, data[off:off+l])
		off += l
		c.pending = append(c.pending, Message{Type: MessageType(types[i]), Data: d})
	}
	C.wsc_batch_free(b)
	return nil
}

// popPending returns the oldest message taken but not yet returned; rmu held.
func (c *Conn) popPending() (Message, bool) {
	if c.pendHead == len(c.pending) {
		return Message{}, false
	}
	m := c.pending[c.pendHead]
	c.pending[c.pendHead] = Message{}
	c.pendHead++
	if c.pendHead == len(c.pending) {
		c.pending, c.pendHead = c.pending[:0], 0
	}
	return m, true
}

// readable reports whether Recv should look again: messages were taken
// into pending (it polls the library's queue), the connection has ended, or
// Close was called.
func (c *Conn) readable() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil || c.st.isClosed() {
		return true
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.pendHead < len(c.pending) {
		return true
	}
	if err := c.fill(0); err != nil {
		return true // the next take meets it again and reports it
	}
	return c.pendHead < len(c.pending)
}

// recvWait waits, after take found nothing, until Recv should look again:
// the library wrote to the notifier (the queue became non-empty) or on_close
// did, Close closed it, or a slice of at most 50 ms ran out. The wait is in
// the Go netpoller, through the notifier's RawConn: readable() runs first,
// after the poller has forgotten old events, so a message queued between
// take and the wait is not missed; the eventfd is never read (Go's epoll is
// edge-triggered and every write is a new event), so waking costs no system
// call. It returns the timeout for the next take: 0, or a slice when the
// wait has to happen inside wsc_recv_many (no notifier; or on_close has run:
// the library marks the connection finished just after on_close returns and
// notifies nobody then, while a waiting wsc_recv_many wakes at once).
func (c *Conn) recvWait(ctx context.Context) C.int {
	n := c.notify.Load()
	if n == nil {
		if c.notifyFails.Load() || !c.openNotifier() {
			return sliceMillis(ctx)
		}
		return 0 // messages queued before the notifier existed raised no event
	}
	if c.st.isClosed() {
		return sliceMillis(ctx)
	}
	deadline := time.Now().Add(slice)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	// Deadlines belong to the descriptor: concurrent Recvs share one, so
	// each sets its own before every wait and no wait outlasts a slice.
	if n.f.SetReadDeadline(deadline) != nil {
		return sliceMillis(ctx)
	}
	err := n.rc.Read(n.readable)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && c.notify.Load() == n {
		// Neither the deadline nor Close (release drops the notifier
		// before it closes it): unexpected, so wait inside wsc_recv_many.
		return sliceMillis(ctx)
	}
	return 0
}

// notifier is the Go end of the eventfd the library writes to.
type notifier struct {
	f        *os.File
	rc       syscall.RawConn
	readable func(uintptr) bool // the RawConn callback, made once
}

// openNotifier creates the readiness notifier; false if it cannot (then Recv
// waits inside wsc_recv_many, in slices).
func (c *Conn) openNotifier() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return true // the next take reports the close
	}
	c.nmu.Lock()
	defer c.nmu.Unlock()
	if c.notify.Load() != nil {
		return true
	}
	var fd C.int
	if C.wscgo_notify_open(c.w, c.c, &fd) != 0 {
		c.notifyFails.Store(true)
		return false
	}
	f := os.NewFile(uintptr(fd), "wsc-recv-notify")
	rc, err := f.SyscallConn()
	// A descriptor the poller does not take cannot have a deadline.
	if err == nil {
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		f.Close()
		c.notifyFails.Store(true)
		return false
	}
	c.notify.Store(&notifier{f: f, rc: rc, readable: func(uintptr) bool { return c.readable() }})
	return true
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
		switch s := c.waitClosed(); s {
		case 0:
		case ErrWait: // the connection is released below: this timeout ends it
			err = &Error{Op: "close", Status: ErrTimeout, ended: true,
				Detail: "the close handshake did not finish within the close timeout (" +
					c.closeTimeout.String() + ")"}
		default:
			e := &Error{Op: "close", Status: s, Detail: c.st.detailFor(s), ended: true}
			e.CloseCode, e.CloseReason, _ = c.st.closeInfo()
			err = e
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
		MsgsSent:          uint64(s.msgs_sent),
		MsgsReceived:      uint64(s.msgs_received),
		BytesSent:         uint64(s.bytes_sent),
		BytesReceived:     uint64(s.bytes_received),
		Reconnects:        uint64(s.reconnects),
		SendDiscarded:     uint64(s.send_discarded),
		SendQueueBytes:    uint64(s.send_queue_bytes),
		RTTLast:           rtt(int64(s.rtt_us_last)),
		RTTSmoothed:       rtt(int64(s.rtt_us_smoothed)),
		ConnectAttempts:   uint64(s.connect_attempts),
		LastHTTPStatus:    int(s.last_http_status),
		HTTPFromProxy:     s.http_status_from_proxy != 0,
		RecvDiscarded:     uint64(s.recv_discarded),
		WireBytesSent:     uint64(s.wire_bytes_sent),
		WireBytesReceived: uint64(s.wire_bytes_received),
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

// ResponseHeader returns the header fields of the last upgrade response
// (nil before one was read or once closed), like the Header of the
// *http.Response gorilla's Dial returns.
func (c *Conn) ResponseHeader() http.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return nil
	}
	var needed C.size_t
	if C.wsc_conn_response_headers(c.c, nil, 0, &needed) == C.WSC_ESTATE || needed == 0 {
		return nil
	}
	buf := make([]byte, int(needed))
	if C.wsc_conn_response_headers(c.c, (*C.char)(unsafe.Pointer(&buf[0])), needed, nil) != 0 {
		return nil
	}
	// "name: value\r\n" lines then a blank line: a MIME header block.
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(string(buf[:needed-1]) + "\r\n")))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	return http.Header(h)
}

// RemoteAddr returns the TCP peer of the last upgrade (the proxy's address
// with a proxy), like gorilla's Conn.RemoteAddr; nil once closed.
func (c *Conn) RemoteAddr() net.Addr {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return nil
	}
	var buf [64]C.char
	var port C.int
	if C.wsc_conn_remote_address(c.c, &buf[0], C.size_t(len(buf)), &port) != 0 {
		return nil
	}
	ip := net.ParseIP(C.GoString(&buf[0]))
	if ip == nil {
		return nil
	}
	return &net.TCPAddr{IP: ip, Port: int(port)}
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
