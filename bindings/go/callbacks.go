package wsc

// Callbacks from the library's loop thread (a non-Go thread; cgo handles
// the switch). Only events that carry information the pull-mode ABI cannot
// give afterwards are wired: whether the connection ever opened (a server
// may close it before Dial's wait sees OPEN), the error detail (wsc_wait
// only returns the status), the close code and reason, and "send queue
// drained" to wake senders blocked on a full queue, and the user's own
// hooks (WithOnState, WithOnPing, WithOnPong). Messages are pulled with
// wsc_recv_many, so the receive queue stays bounded by RECV_QUEUE_BYTES and a
// slow Go reader slows the server down instead of growing memory.
// A waiting Recv is woken without entering Go on the loop thread: the library
// writes to the connection's eventfd (wsc_conn_notify_fd), and so does
// helpers.c's on_close after wscgoOnClose (wsc.go, recvWait).
//
// This file has //export functions, so its preamble holds declarations only.

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// liveHandles counts cgo.Handles not yet deleted (checked by the tests).
var liveHandles atomic.Int64

func newHandle(st *connState) cgo.Handle {
	liveHandles.Add(1)
	return cgo.NewHandle(st)
}

func deleteHandle(h cgo.Handle) {
	h.Delete()
	liveHandles.Add(-1)
}

// connState is what the C callbacks reach through the cgo.Handle.
type connState struct {
	mu          sync.Mutex
	everOpen    bool // on_open ran at least once
	lastStatus  Status
	lastDetail  string
	closeCode   int
	closeReason string
	closed      bool          // on_close ran
	drain       chan struct{} // closed and replaced on each on_drain
	opened      chan struct{} // closed by the first on_open
	ended       chan struct{} // closed by on_close
	hooks       hooks         // the user's, from the options; set before connect
}

func newConnState() *connState {
	return &connState{drain: make(chan struct{}), opened: make(chan struct{}), ended: make(chan struct{})}
}

// drainSignal returns a channel closed at the next on_drain. Take it before
// retrying a send that failed with WSC_EAGAIN, so a drain in between is not
// lost.
func (s *connState) drainSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drain
}

// detailFor returns the detail the last on_error gave for status, if any.
func (s *connState) detailFor(status Status) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastStatus == status {
		return s.lastDetail
	}
	return ""
}

func (s *connState) closeInfo() (code int, reason string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode, s.closeReason, s.closed
}

func stateOf(h C.uintptr_t) *connState {
	return cgo.Handle(h).Value().(*connState)
}

func (s *connState) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *connState) everOpened() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.everOpen
}

//export wscgoOnOpen
func wscgoOnOpen(h C.uintptr_t) {
	s := stateOf(h)
	s.mu.Lock()
	if !s.everOpen {
		s.everOpen = true
		close(s.opened)
	}
	s.mu.Unlock()
}

//export wscgoOnError
func wscgoOnError(h C.uintptr_t, status C.int, detail *C.char) {
	s := stateOf(h)
	d := C.GoString(detail)
	s.mu.Lock()
	s.lastStatus = Status(status)
	s.lastDetail = d
	s.mu.Unlock()
}

//export wscgoOnClose
func wscgoOnClose(h C.uintptr_t, code C.int, reason *C.char) {
	s := stateOf(h)
	r := C.GoString(reason)
	s.mu.Lock()
	s.closeCode = int(code)
	s.closeReason = r
	if !s.closed {
		s.closed = true
		close(s.ended)
	}
	// Wake blocked senders: the next wsc_send reports WSC_ECLOSED.
	close(s.drain)
	s.drain = make(chan struct{})
	s.mu.Unlock()
}

//export wscgoOnDrain
func wscgoOnDrain(h C.uintptr_t) {
	s := stateOf(h)
	s.mu.Lock()
	close(s.drain)
	s.drain = make(chan struct{})
	s.mu.Unlock()
}

//export wscgoOnState
func wscgoOnState(h C.uintptr_t, from, to C.int) {
	if f := stateOf(h).hooks.onState; f != nil {
		f(State(from), State(to))
	}
}

//export wscgoOnControl
func wscgoOnControl(h C.uintptr_t, kind C.int, payload unsafe.Pointer, n C.size_t) {
	hk := stateOf(h).hooks
	f := hk.onPing
	if kind == C.int(controlPong) {
		f = hk.onPong
	}
	if f != nil {
		f(C.GoBytes(payload, C.int(n)))
	}
}
