package wsc

/*
#include "helpers.h"
*/
import "C"

import (
	"context"
	"sync"
	"time"
	"unsafe"
)

// PoolConfig tunes a Pool; start from DefaultPoolConfig. Zero durations turn
// a feature off.
type PoolConfig struct {
	MinIdle int // connections kept open and warm (<= maxConns)
	// A connection idle longer than CheckAfterIdle is pinged before it is
	// handed out; no pong within PingTimeout and it is replaced.
	CheckAfterIdle time.Duration
	PingTimeout    time.Duration
	MaxIdleTime    time.Duration // idle connections beyond MinIdle close after this
	MaxLifetime    time.Duration // older ones close when idle (never while acquired)
	// After BreakerThreshold consecutive failed opens (0 = no breaker) the
	// pool stops dialing for BreakerCooldown; Acquire fails with ErrBreaker.
	BreakerThreshold int
	BreakerCooldown  time.Duration
}

// DefaultPoolConfig is wsc_pool_options_init's defaults.
func DefaultPoolConfig() PoolConfig {
	var po C.wsc_pool_options
	C.wsc_pool_options_init(&po)
	return PoolConfig{
		MinIdle:          int(po.min_idle),
		CheckAfterIdle:   time.Duration(po.check_after_idle_ms) * time.Millisecond,
		PingTimeout:      time.Duration(po.ping_timeout_ms) * time.Millisecond,
		MaxIdleTime:      time.Duration(po.max_idle_time_ms) * time.Millisecond,
		MaxLifetime:      time.Duration(po.max_lifetime_ms) * time.Millisecond,
		BreakerThreshold: int(po.breaker_threshold),
		BreakerCooldown:  time.Duration(po.breaker_cooldown_ms) * time.Millisecond,
	}
}

// PoolStats is wsc_pool_snapshot: now (Open = Idle + Checking + Busy),
// then totals since the pool was made.
type PoolStats struct {
	Open, Idle, Busy, Opening, Checking, Waiting                      int
	Opened, OpenFailures, Replaced, HealthChecks, HealthCheckFailures uint64
	Rotated, IdleClosed, DiscardedMessages, Acquired, AcquireTimeouts uint64
	BreakerTrips, BreakerRejections                                   uint64
	Breaker                                                           BreakerState
}

// BreakerState is the pool's circuit breaker state.
type BreakerState int

const (
	BreakerClosed   BreakerState = C.WSC_BREAKER_CLOSED    // dialing normally
	BreakerOpen     BreakerState = C.WSC_BREAKER_OPEN      // cooling down
	BreakerHalfOpen BreakerState = C.WSC_BREAKER_HALF_OPEN // one probe decides
)

// Pool hands out open, healthy connections to one URL, each to one user at
// a time (wsc_pool_*). Acquire, Release, Stats and Close are safe from many
// goroutines. A pooled *Conn is used like any other (Send, Recv, Close);
// give it back with Release: messages left unread are discarded, and one
// that ended or was closed is replaced.
type Pool struct {
	// mu guards p: read-locked around every C call that uses it, write-locked
	// by Close while it frees it.
	mu     sync.RWMutex
	p      *C.wsc_pool
	leased map[*Conn]struct{} // handed out, not yet given back; under lmu
	lmu    sync.Mutex
}

// NewPool makes a pool of at most maxConns connections to url, with the
// connection options opts (reconnect is always off: the pool replaces).
func NewPool(url string, maxConns int, pc PoolConfig, opts ...Option) (*Pool, error) {
	cfg := config{closeTimeout: defaultCloseTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if maxConns < 0 || pc.MinIdle < 0 || pc.BreakerThreshold < 0 {
		return nil, &Error{Op: "pool", Status: ErrInvalid, Detail: "counts must be >= 0"}
	}
	copts, err := cfg.cOptions()
	if err != nil {
		return nil, err
	}
	defer C.wsc_options_free(copts)
	var po C.wsc_pool_options
	C.wsc_pool_options_init(&po)
	po.min_idle = C.size_t(pc.MinIdle)
	po.check_after_idle_ms = C.int64_t(millis(pc.CheckAfterIdle))
	po.ping_timeout_ms = C.int64_t(millis(pc.PingTimeout))
	po.max_idle_time_ms = C.int64_t(millis(pc.MaxIdleTime))
	po.max_lifetime_ms = C.int64_t(millis(pc.MaxLifetime))
	po.breaker_threshold = C.uint32_t(pc.BreakerThreshold)
	po.breaker_cooldown_ms = C.int64_t(millis(pc.BreakerCooldown))
	curl := C.CString(url)
	defer C.free(unsafe.Pointer(curl))
	var p *C.wsc_pool
	if r := C.wscgo_pool_new(curl, copts, C.size_t(maxConns), &po, &p); r.status != 0 {
		return nil, errorFrom("pool", r)
	}
	return &Pool{p: p, leased: map[*Conn]struct{}{}}, nil
}

type acquired struct {
	c *C.wsc_conn
	r C.wscgo_result
}

// Acquire returns an open, healthy connection no one else holds. It waits
// until one is free or ctx ends (ctx.Err()); what is left of ctx's deadline
// bounds the open it triggers. Errors match ErrBreaker (the circuit breaker
// is open: it fails at once) or ErrClosed (pool closed).
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	timeout := C.int(-1)
	if dl, ok := ctx.Deadline(); ok {
		timeout = C.int(millis(time.Until(dl)))
		if timeout < 0 {
			timeout = 0
		}
	}
	// The wait is one C call (so the deadline cascades whole); it runs in
	// its own goroutine so that a cancelled ctx returns at once. That call
	// goes on until it gets a connection (given straight back, still under
	// the read lock so the pool cannot be freed meanwhile), times out at
	// ctx's deadline, or the pool closes.
	done := make(chan acquired)
	cancelled := make(chan struct{})
	p.mu.RLock()
	if p.p == nil {
		p.mu.RUnlock()
		return nil, &Error{Op: "acquire", Status: ErrClosed, Detail: "the pool is closed"}
	}
	go func() {
		defer p.mu.RUnlock()
		var a acquired
		a.r = C.wscgo_pool_acquire(p.p, timeout, &a.c)
		select {
		case done <- a:
		case <-cancelled:
			if a.r.status == 0 {
				C.wsc_pool_release(p.p, a.c)
			} else if a.r.detail != nil {
				C.free(unsafe.Pointer(a.r.detail))
			}
		}
	}()
	select {
	case a := <-done:
		if Status(a.r.status) == ErrWait {
			// The library's wait ran out at ctx's deadline (rounded up to
			// a millisecond): report it the Go way.
			<-ctx.Done()
			return nil, ctx.Err()
		}
		if a.r.status != 0 {
			return nil, errorFrom("acquire", a.r)
		}
		return p.adopt(a.c), nil
	case <-ctx.Done():
		close(cancelled)
		return nil, ctx.Err()
	}
}

// TryAcquire returns an idle, healthy connection now, or nil and an error
// matching ErrAgain (or ErrBreaker, ErrClosed); it never waits or dials.
func (p *Pool) TryAcquire() (*Conn, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.p == nil {
		return nil, &Error{Op: "acquire", Status: ErrClosed, Detail: "the pool is closed"}
	}
	var c *C.wsc_conn
	if s := Status(C.wsc_pool_try_acquire(p.p, &c)); s != 0 {
		return nil, &Error{Op: "acquire", Status: s}
	}
	return p.adopt(c), nil
}

// adopt wraps a pooled wsc_conn; freeing it (release) gives it back.
func (p *Pool) adopt(cc *C.wsc_conn) *Conn {
	st := newConnState()
	h := newHandle(st)
	conn := &Conn{c: cc, w: C.wscgo_conn_new(C.uintptr_t(h)), handle: h, st: st,
		closeTimeout: defaultCloseTimeout}
	p.lmu.Lock()
	p.leased[conn] = struct{}{}
	p.lmu.Unlock()
	return conn
}

// Release gives c back to the pool; c is unusable afterwards (ErrClosed).
// Releasing twice, or a Conn that is not from this pool, does nothing.
func (p *Pool) Release(c *Conn) {
	p.lmu.Lock()
	_, ok := p.leased[c]
	delete(p.leased, c)
	p.lmu.Unlock()
	if ok {
		p.mu.RLock() // Close does not free the pool meanwhile
		c.release()  // wsc_conn_free of a pooled connection releases it
		p.mu.RUnlock()
	}
}

// Stats is a snapshot of the pool's numbers.
func (p *Pool) Stats() PoolStats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.p == nil {
		return PoolStats{}
	}
	var s C.wsc_pool_snapshot
	C.wscgo_pool_stats(p.p, &s)
	return PoolStats{
		Open: int(s.open), Idle: int(s.idle), Busy: int(s.busy), Opening: int(s.opening),
		Checking: int(s.checking), Waiting: int(s.waiting),
		Opened: uint64(s.opened), OpenFailures: uint64(s.open_failures),
		Replaced: uint64(s.replaced), HealthChecks: uint64(s.health_checks),
		HealthCheckFailures: uint64(s.health_check_failures), Rotated: uint64(s.rotated),
		IdleClosed: uint64(s.idle_closed), DiscardedMessages: uint64(s.discarded_messages),
		Acquired: uint64(s.acquired), AcquireTimeouts: uint64(s.acquire_timeouts),
		BreakerTrips: uint64(s.breaker_trips), BreakerRejections: uint64(s.breaker_rejections),
		Breaker: BreakerState(s.breaker_state),
	}
}

// Close wakes waiting Acquires (ErrClosed), gives back and closes every
// connection, the acquired ones included, and frees the pool. Idempotent.
func (p *Pool) Close() {
	p.mu.RLock()
	if p.p != nil {
		C.wsc_pool_close(p.p) // wakes waiters, who drop their read locks
	}
	p.mu.RUnlock()
	p.lmu.Lock()
	leased := p.leased
	p.leased = map[*Conn]struct{}{}
	p.lmu.Unlock()
	for c := range leased {
		c.release()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p != nil {
		C.wsc_pool_free(p.p)
		p.p = nil
	}
}
