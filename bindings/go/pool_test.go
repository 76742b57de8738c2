package wsc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 16 goroutines acquire, send, check their own echo and release for two
// seconds: no Conn is ever held by two of them, and the counts add up.
func TestPoolSixteenGoroutines(t *testing.T) {
	p, err := NewPool(echoURL, 4, DefaultPoolConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var holders sync.Map
	var rounds, failures atomic.Int64
	stop := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c, err := p.Acquire(ctx)
				if err != nil {
					cancel()
					failures.Add(1)
					t.Error(err)
					continue
				}
				if other, loaded := holders.LoadOrStore(c.c, g); loaded {
					t.Errorf("connection held by %v and %d", other, g)
				}
				msg := []byte(fmt.Sprintf("%d-%d", g, n))
				if err := c.Send(ctx, Text, msg); err != nil {
					t.Error(err)
				} else if m, err := c.Recv(ctx); err != nil || string(m.Data) != string(msg) {
					t.Errorf("sent %q, got %q (%v)", msg, m.Data, err)
				}
				holders.Delete(c.c)
				p.Release(c)
				cancel()
				rounds.Add(1)
			}
		}(g)
	}
	wg.Wait()
	s := p.Stats()
	if failures.Load() != 0 || rounds.Load() < 200 || s.Acquired != uint64(rounds.Load()) ||
		s.Opened > 4 || s.Busy != 0 || s.Waiting != 0 {
		t.Fatalf("rounds %d failures %d stats %+v", rounds.Load(), failures.Load(), s)
	}
}

func TestPoolTryAcquireReleaseAndCancel(t *testing.T) {
	pc := DefaultPoolConfig()
	pc.MinIdle = 1
	p, err := NewPool(echoURL, 1, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 500 && p.Stats().Idle == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	a, err := p.TryAcquire()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.TryAcquire(); !errors.Is(err, ErrAgain) {
		t.Fatalf("second TryAcquire: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := p.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire while busy: %v", err)
	}
	cancel()
	// The library's own wait ran out too (WSC_EWAIT, counted), whichever
	// of the two Acquire saw first.
	for i := 0; i < 500 && p.Stats().AcquireTimeouts == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := p.Stats().AcquireTimeouts; n != 1 {
		t.Fatalf("AcquireTimeouts = %d, want 1", n)
	}
	// A cancelled Acquire returns at once; what it gets later goes back.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire: %v", err)
	}
	p.Release(a)
	p.Release(a) // twice: nothing
	if err := a.Send(context.Background(), Text, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Release: %v", err)
	}
	b, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Release(b)
	// The cancelled Acquire's C call may take the connection after b (it
	// waits until one is free) and gives it straight back.
	s := p.Stats()
	for i := 0; i < 500 && (s.Idle != 1 || s.Waiting != 0); i++ {
		time.Sleep(5 * time.Millisecond)
		s = p.Stats()
	}
	if s.Opened != 1 || s.Idle != 1 || s.Waiting != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPoolBreaker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + l.Addr().String() + "/"
	l.Close() // now refusing
	pc := DefaultPoolConfig()
	pc.BreakerThreshold = 2
	pc.BreakerCooldown = time.Minute
	p, err := NewPool(url, 2, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, ErrBreaker) {
		t.Fatalf("Acquire against a refusing server: %v", err)
	}
	start := time.Now()
	if _, err := p.Acquire(ctx); !errors.Is(err, ErrBreaker) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("open breaker: %v after %v", err, time.Since(start))
	}
	if s := p.Stats(); s.Breaker != BreakerOpen || s.OpenFailures != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPoolCloseWakesWaiters(t *testing.T) {
	p, err := NewPool(echoURL, 1, DefaultPoolConfig())
	if err != nil {
		t.Fatal(err)
	}
	held, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := p.Acquire(context.Background())
		errc <- err
	}()
	for i := 0; i < 500 && p.Stats().Waiting == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	p.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter: %v", err)
	}
	if err := held.Send(context.Background(), Text, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send on a connection of a closed pool: %v", err)
	}
	p.Release(held)
	p.Close()
	if _, err := NewPool(echoURL, 0, DefaultPoolConfig()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("maxConns 0: %v", err)
	}
}
