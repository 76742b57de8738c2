package wsc

/*
#cgo pkg-config: wsc
#include "helpers.h"
*/
import "C"

import (
	"context"
	"errors"
	"net/http"
	"unsafe"
)

// Status is a wsc status code (include/wsc/status.h). Every non-zero Status
// is an error; the ErrXxx constants are the sentinels to use with errors.Is:
//
//	if errors.Is(err, wsc.ErrTLS) { ... }
type Status int

// Sentinel statuses, one per wsc_status value.
const (
	ErrInvalid   Status = C.WSC_EINVAL     // invalid argument or option
	ErrState     Status = C.WSC_ESTATE     // not allowed in the current state
	ErrAgain     Status = C.WSC_EAGAIN     // send queue full (Send retries it until ctx is done)
	ErrNoMem     Status = C.WSC_ENOMEM     // out of memory
	ErrClosed    Status = C.WSC_ECLOSED    // connection is closed
	ErrTimeout   Status = C.WSC_ETIMEDOUT  // the connection (or an attempt) ended by a timer: connect, pong, idle, write, close
	ErrConnect   Status = C.WSC_ECONNECT   // could not connect (DNS, refused, unreachable)
	ErrHandshake Status = C.WSC_EHANDSHAKE // HTTP upgrade rejected (4xx)
	ErrTLS       Status = C.WSC_ETLS       // TLS failure (certificate, version, ciphers)
	ErrProto     Status = C.WSC_EPROTO     // WebSocket protocol error
	ErrTooBig    Status = C.WSC_ETOOBIG    // message too big
	ErrDecode    Status = C.WSC_EDECODE    // could not decode message
	ErrInternal  Status = C.WSC_EINTERNAL  // internal error
	ErrLost      Status = C.WSC_ELOST      // connection lost without a close handshake
	ErrServer    Status = C.WSC_ESERVER    // HTTP 5xx on the upgrade
	ErrBreaker   Status = C.WSC_EBREAKER   // a Pool's circuit breaker is open
	ErrRemote    Status = C.WSC_EREMOTE    // the peer answered an RPC call with an error
	// ErrWait is the library's "a blocking call's own wait ran out" (the
	// connection goes on). The package waits on contexts instead, so no
	// function returns it (Pool.Acquire returns ctx.Err()); it is here to
	// complete the table.
	ErrWait Status = C.WSC_EWAIT

	// ErrQueueFull is ErrAgain under the name a Go reader looks for.
	ErrQueueFull = ErrAgain
)

// Error returns the library's words for the status (wsc_strerror).
func (s Status) Error() string { return "wsc: " + s.Text() }

// Text is wsc_strerror(s) without the "wsc: " prefix.
func (s Status) Text() string { return C.GoString(C.wsc_strerror(C.int(s))) }

// Fatal reports whether a connection that ends with this status is never
// retried by auto-reconnect (wsc_status_is_fatal).
func (s Status) Fatal() bool { return C.wsc_status_is_fatal(C.int(s)) != 0 }

// Error is what the package's functions return for a failed wsc call: the
// operation, the status and the library's detail (wsc_last_error_detail or
// the on_error text). errors.Is(err, wsc.ErrX) matches Status; an error from
// Send or Recv on a connection that has ended also matches ErrClosed, even
// when Status tells how it ended (for example ErrLost).
//
// A failed upgrade (ErrHandshake, ErrServer) carries the HTTP status and
// the header fields of the response in HTTPStatus and Header, as gorilla
// returns the *http.Response. An error
// for a connection that has ended carries the close code and reason the
// connection ended with (CloseStatus reads them from any error).
type Error struct {
	Op         string // "dial", "send", "recv", "close", "option"
	Status     Status
	Detail     string // may be empty
	HTTPStatus int    // of the upgrade response for ErrHandshake/ErrServer; 0 if none
	// The upgrade response's header fields for ErrHandshake/ErrServer (nil
	// if none), as in the *http.Response gorilla returns.
	Header http.Header

	// The close code (0 if none) and reason the connection ended with.
	CloseCode   int
	CloseReason string

	ended bool // the connection has ended: also matches ErrClosed
}

// Close codes (RFC 6455 section 7.4.1 and the IANA registry), for Close and
// CloseStatus.
const (
	StatusNormalClosure           = 1000
	StatusGoingAway               = 1001
	StatusProtocolError           = 1002
	StatusUnsupportedData         = 1003
	StatusNoStatusReceived        = 1005 // never sent: "the Close frame had no code"
	StatusAbnormalClosure         = 1006 // never sent: "no Close frame at all"
	StatusInvalidFramePayloadData = 1007
	StatusPolicyViolation         = 1008
	StatusMessageTooBig           = 1009
	StatusMandatoryExtension      = 1010
	StatusInternalError           = 1011
	StatusServiceRestart          = 1012
	StatusTryAgainLater           = 1013
	StatusBadGateway              = 1014
)

// CloseStatus returns the close code a connection ended with, from an error
// the package returned (like coder/websocket's CloseStatus), or -1 when err
// is not an *Error for an ended connection with a code.
func CloseStatus(err error) int {
	var e *Error
	if errors.As(err, &e) && e.ended && e.CloseCode != 0 {
		return e.CloseCode
	}
	return -1
}

func (e *Error) Error() string {
	msg := "wsc: " + e.Op + ": " + e.Status.Text()
	if e.Detail != "" && e.Detail != e.Status.Text() {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the Status, so errors.As(err, &status) works too.
func (e *Error) Unwrap() error { return e.Status }

// Is matches the Status sentinels (see the type comment), and an RPC Call
// that ran out of time (ErrTimeout) also matches context.DeadlineExceeded.
func (e *Error) Is(target error) bool {
	if target == context.DeadlineExceeded { // an RPC call's deadline is its context's
		return e.Op == "call" && e.Status == ErrTimeout
	}
	s, ok := target.(Status)
	if !ok {
		return false
	}
	return s == e.Status || (e.ended && s == ErrClosed)
}

// Timeout reports whether the status is ErrTimeout (as net.Error does).
func (e *Error) Timeout() bool { return e.Status == ErrTimeout }

// errorFrom turns a C result into an *Error, freeing the C detail.
func errorFrom(op string, r C.wscgo_result) *Error {
	e := &Error{Op: op, Status: Status(r.status)}
	if r.detail != nil {
		e.Detail = C.GoString(r.detail)
		C.free(unsafe.Pointer(r.detail))
	}
	return e
}
