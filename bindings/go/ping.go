package wsc

// Ping on wsc_ping. The pong arrives on the library's loop thread through
// helpers.c's trampoline, which passes back the token Ping registered in
// pings; a map rather than a cgo.Handle, so that a Ping that gave up (its
// ctx ended) can drop the entry while a late pong may still come.

/*
#include <stdint.h>
#include <stdlib.h>
#include "helpers.h"
*/
import "C"

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// defaultPingTimeout bounds a ping whose ctx has no deadline.
const defaultPingTimeout = 10 * time.Second

type pongResult struct {
	status Status
	rtt    time.Duration
}

var pings struct {
	mu      sync.Mutex
	next    uintptr
	waiters map[uintptr]chan pongResult
}

func addPingWaiter() (uintptr, chan pongResult) {
	pings.mu.Lock()
	defer pings.mu.Unlock()
	if pings.waiters == nil {
		pings.waiters = make(map[uintptr]chan pongResult)
	}
	pings.next++
	ch := make(chan pongResult, 1)
	pings.waiters[pings.next] = ch
	return pings.next, ch
}

func takePingWaiter(token uintptr) chan pongResult {
	pings.mu.Lock()
	defer pings.mu.Unlock()
	ch := pings.waiters[token]
	delete(pings.waiters, token)
	return ch
}

//export wscgoOnPong
func wscgoOnPong(token C.uintptr_t, status C.int, rttUS C.int64_t) {
	if ch := takePingWaiter(uintptr(token)); ch != nil {
		ch <- pongResult{Status(status), time.Duration(rttUS) * time.Microsecond}
	}
}

// Ping sends a ping now and returns the round trip when its pong arrives.
// It is PingData with an empty payload. It waits until ctx's deadline (10 s without one): no pong by then is an
// error matching ErrTimeout (not context.DeadlineExceeded), and the
// connection goes on. A connection that
// is not open, or ends first, gives an error matching ErrClosed; ctx ending
// otherwise gives ctx.Err().
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	return c.PingData(ctx, nil)
}

// PingData is Ping with an application payload of at most 125 bytes
// (RFC 6455 §5.5), which the server's pong echoes; a longer one is an error
// matching ErrInvalid and sends nothing.
func (c *Conn) PingData(ctx context.Context, data []byte) (time.Duration, error) {
	timeout := defaultPingTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ms := timeout.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if ms > 1<<30 {
		ms = 1 << 30
	}
	token, ch := addPingWaiter()
	c.mu.RLock()
	if c.c == nil {
		c.mu.RUnlock()
		takePingWaiter(token)
		return 0, &Error{Op: "ping", Status: ErrClosed, Detail: "Close was called", ended: true}
	}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0]) // wsc_ping_data copies it before returning
	}
	r := C.wscgo_ping(c.c, p, C.size_t(len(data)), C.int(ms), C.uintptr_t(token))
	c.mu.RUnlock()
	if s := Status(r.status); s != 0 {
		takePingWaiter(token)
		if s == ErrClosed {
			if r.detail != nil {
				C.free(unsafe.Pointer(r.detail))
			}
			return 0, c.ended("ping")
		}
		return 0, errorFrom("ping", r)
	}
	noPong := &Error{Op: "ping", Status: ErrTimeout,
		Detail: "no pong within " + strconv.FormatInt(ms, 10) + " ms"}
	select {
	case res := <-ch:
		switch res.status {
		case 0:
			return res.rtt, nil
		case ErrTimeout:
			return 0, noPong
		default:
			return 0, c.ended("ping")
		}
	case <-ctx.Done():
		takePingWaiter(token)
		// The deadline is the ping's timeout, whichever timer fired first.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, noPong
		}
		return 0, ctx.Err()
	}
}
