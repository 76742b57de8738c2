package wsc

// Tests of the receive path: batches taken from the library's queue, the
// eventfd notifier a waiting Recv sleeps on, concurrent Recvs, reconnects.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitReceived waits until the library has queued n messages in all.
func waitReceived(t *testing.T, c *Conn, n uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.Stats().MsgsReceived < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d echoes arrived", c.Stats().MsgsReceived, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRecvBatchesInOrder(t *testing.T) {
	// Everything is queued in the library before the first Recv, so Recv
	// takes it in batches (recvBatchBytes) and returns it from pending;
	// messages larger than a batch come on their own, between batches.
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var sizes []int
	for i := 0; i < 400; i++ {
		switch {
		case i%50 == 7:
			sizes = append(sizes, recvBatchBytes+1+i) // never fits a batch
		case i%50 == 8:
			sizes = append(sizes, recvBatchBytes-16) // exactly fills one (16-byte header)
		case i%10 == 3:
			sizes = append(sizes, 0)
		default:
			sizes = append(sizes, 1+i%200)
		}
	}
	want := make([][]byte, len(sizes))
	types := make([]MessageType, len(sizes))
	for i, n := range sizes {
		types[i] = Binary
		if i%3 == 0 {
			types[i] = Text
		}
		want[i] = payload(types[i], n, int64(i))
		if err := c.Send(ctx, types[i], want[i]); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	waitReceived(t, c, uint64(len(sizes)))
	for i := range sizes {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if m.Type != types[i] || !bytes.Equal(m.Data, want[i]) {
			t.Fatalf("message %d: got %v %d bytes, want %v %d bytes", i, m.Type, len(m.Data), types[i], len(want[i]))
		}
	}
	// Nothing is left over: the next Recv waits until its deadline.
	sctx, scancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer scancel()
	if m, err := c.Recv(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv after the last echo: %d bytes, %v", len(m.Data), err)
	}
}

func TestRecvBatchMemoryIsBounded(t *testing.T) {
	// What one take copies out of the library is at most recvBatchMsgs
	// messages, and it stops once they reach recvBatchBytes.
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	check := func(n, size int) {
		t.Helper()
		msg := make([]byte, size)
		base := c.Stats().MsgsReceived
		for i := 0; i < n; i++ {
			if err := c.Send(ctx, Binary, msg); err != nil {
				t.Fatal(err)
			}
		}
		waitReceived(t, c, base+uint64(n))
		if _, err := c.Recv(ctx); err != nil {
			t.Fatal(err)
		}
		c.rmu.Lock()
		held := len(c.pending) - c.pendHead
		c.rmu.Unlock()
		if held+1 > recvBatchMsgs || held*size >= recvBatchBytes+size {
			t.Fatalf("%d messages of %d bytes queued: one take kept %d of them", n, size, held)
		}
		if held+1 < n && held+1 < recvBatchMsgs && (held+1)*size < recvBatchBytes {
			t.Fatalf("%d messages of %d bytes queued: one take kept only %d of them", n, size, held)
		}
		for i := 1; i < n; i++ {
			if _, err := c.Recv(ctx); err != nil {
				t.Fatalf("Recv %d: %v", i, err)
			}
		}
	}
	check(1000, 100)  // limited by recvBatchMsgs
	check(100, 4000)  // limited by recvBatchBytes
	check(3, 100<<10) // one at a time
}

func TestConcurrentRecv(t *testing.T) {
	// Several goroutines wait in Recv on one connection: every message is
	// returned exactly once, and a goroutine never sees them out of order.
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const receivers, total = 4, 3000
	var mu sync.Mutex
	seen := make([]int, total)
	got := 0
	done := make(chan struct{})
	errs := make(chan error, receivers)
	var wg sync.WaitGroup
	for g := 0; g < receivers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := -1
			for {
				m, err := c.Recv(ctx)
				if err != nil {
					select {
					case <-done:
						return
					default:
					}
					errs <- err
					return
				}
				i := int(binary.LittleEndian.Uint64(m.Data))
				if i <= last {
					errs <- fmt.Errorf("a receiver got %d after %d", i, last)
					return
				}
				last = i
				mu.Lock()
				seen[i]++
				got++
				if got == total {
					close(done)
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	buf := make([]byte, 8)
	for i := 0; i < total; i++ {
		binary.LittleEndian.PutUint64(buf, uint64(i))
		if err := c.Send(ctx, Binary, buf); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			time.Sleep(time.Millisecond) // let the receivers run dry and wait
		}
	}
	select {
	case <-done:
	case err := <-errs:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatalf("only %d of %d messages received", got, total)
	}
	t.Logf("%d messages through %d receivers in %v", total, receivers, time.Since(start))
	cancel() // ends the receivers' Recvs
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("message %d received %d times", i, n)
		}
	}
}

func osThreads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "Threads:")))
			return n
		}
	}
	t.Skip("no Threads: line")
	return 0
}

func TestWaitingRecvHoldsNoThread(t *testing.T) {
	// A Recv waiting for a message sleeps in the Go netpoller (the library
	// writes to an eventfd, wsc_conn_notify_fd), not inside a cgo call that
	// would pin one OS thread per waiting goroutine.
	const conns = 64
	cs := make([]*Conn, conns)
	for i := range cs {
		cs[i] = dial(t, echoURL)
		defer cs[i].Close(1000, "")
	}
	before := osThreads(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type result struct {
		i    int
		data string
		err  error
		at   time.Time
	}
	results := make(chan result, conns)
	for i, c := range cs {
		go func(i int, c *Conn) {
			m, err := c.Recv(ctx)
			results <- result{i, string(m.Data), err, time.Now()}
		}(i, c)
	}
	time.Sleep(300 * time.Millisecond) // all of them are waiting by now
	during := osThreads(t)
	// One thread pinned per waiter would be +64; under load the runtime
	// still starts some threads for the short cgo calls before the waits.
	if during-before > conns/2 {
		t.Fatalf("%d waiting Recvs: %d OS threads before, %d while they wait", conns, before, during)
	}
	for i, c := range cs {
		if c.notify.Load() == nil {
			t.Fatalf("connection %d has no notifier after a Recv waited", i)
		}
	}
	sent := time.Now()
	for i, c := range cs {
		if err := c.Send(ctx, Text, []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	var slowest time.Duration
	for range cs {
		r := <-results
		if r.err != nil || r.data != strconv.Itoa(r.i) {
			t.Fatalf("Recv on connection %d: %q, %v", r.i, r.data, r.err)
		}
		if d := r.at.Sub(sent); d > slowest {
			slowest = d
		}
	}
	t.Logf("threads: %d before, %d with %d Recvs waiting; slowest wake-up %v", before, during, conns, slowest)
}

func TestRecvWakesPromptly(t *testing.T) {
	// A message arriving while Recv waits wakes it at once (the notifier),
	// not at the end of a 50 ms slice.
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	var lat []time.Duration
	for i := 0; i < 21; i++ {
		got := make(chan time.Time, 1)
		go func() {
			if _, err := c.Recv(context.Background()); err != nil {
				t.Error(err)
			}
			got <- time.Now()
		}()
		time.Sleep(5 * time.Millisecond) // Recv is waiting
		sent := time.Now()
		if err := c.Send(context.Background(), Text, []byte("x")); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if med := lat[len(lat)/2]; med > 10*time.Millisecond {
		t.Fatalf("median wake-up after the echo %v (all %v)", med, lat)
	}
}

func TestRecvWakesOnServerClose(t *testing.T) {
	// The server closes while Recv waits on the notifier: on_close wakes it
	// (the connection counts as ended only just after on_close returns).
	url := miniServer(t, func(n int, conn net.Conn) {
		time.Sleep(300 * time.Millisecond)
		conn.Write([]byte{0x88, 7, 0x0f, 0xa1, 'l', 'a', 't', 'e', 'r'}) // 4001 "later"
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, conn) // until the client's Close and FIN
	})
	c := dial(t, url)
	defer c.Close(1000, "")
	start := time.Now()
	_, err := c.Recv(context.Background())
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Recv took %v to report the close", el)
	}
	if c.notify.Load() == nil {
		t.Fatal("Recv did not wait on the notifier")
	}
	if code, reason, ok := c.CloseStatus(); !ok || code != 4001 || reason != "later" {
		t.Fatalf("CloseStatus = %d %q %v", code, reason, ok)
	}
}

// miniServer is a minimal WebSocket server for the reconnect test: on each
// connection it completes the handshake and calls serve with the raw
// connection (frames are written by hand).
func miniServer(t *testing.T, serve func(n int, conn net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			req, err := http.ReadRequest(bufio.NewReader(conn))
			if err != nil {
				conn.Close()
				continue
			}
			h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(h[:]))
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				defer conn.Close()
				serve(n, conn)
			}(n)
		}
	}()
	return "ws://" + l.Addr().String() + "/"
}

func TestRecvAcrossReconnect(t *testing.T) {
	// Messages queued before and after a reconnect all come out, in order:
	// the binding counts the messages it took against the library's
	// msgs_received, which must hold across reconnects.
	stop := make(chan struct{})
	url := miniServer(t, func(n int, conn net.Conn) {
		for i := 0; i < 3; i++ {
			m := fmt.Sprintf("c%d-m%d", n, i)
			conn.Write(append([]byte{0x81, byte(len(m))}, m...))
		}
		if n == 0 {
			time.Sleep(100 * time.Millisecond)
			return // drops TCP without a Close frame: the client reconnects
		}
		select {
		case <-stop:
		case <-time.After(20 * time.Second):
		}
	})
	defer close(stop)
	c := dial(t, url, WithReconnect(true), WithReconnectBackoff(10*time.Millisecond, 50*time.Millisecond),
		WithCloseTimeout(200*time.Millisecond))
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, want := range []string{"c0-m0", "c0-m1", "c0-m2", "c1-m0", "c1-m1", "c1-m2"} {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv (want %s): %v", want, err)
		}
		if string(m.Data) != want || m.Type != Text {
			t.Fatalf("got %v %q, want %q", m.Type, m.Data, want)
		}
	}
	if st := c.Stats(); st.Reconnects < 1 || st.MsgsReceived != 6 {
		t.Fatalf("stats: %+v", st)
	}
}

// withBlockingWaits runs f with n slots for waits inside wsc_wait.
func withBlockingWaits(n int, f func()) {
	saved := blockingWaits
	blockingWaits = make(chan struct{}, n)
	defer func() { blockingWaits = saved }()
	f()
}

func TestDialAndCloseWithoutBlockingSlots(t *testing.T) {
	// With every slot taken, Dial and Close wait on the channels that
	// on_open and on_close close; the outcomes are the same.
	withBlockingWaits(0, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c := dial(t, echoURL)
		if err := c.Send(ctx, Text, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if m, err := c.Recv(ctx); err != nil || string(m.Data) != "hi" {
			t.Fatalf("Recv: %q %v", m.Data, err)
		}
		if err := c.Close(1000, "bye"); err != nil {
			t.Fatalf("Close: %v", err)
		}

		refused := fmt.Sprintf("ws://127.0.0.1:%d/", freePort(t))
		if _, err := Dial(ctx, refused, WithConnectTimeout(2*time.Second)); !errors.Is(err, ErrConnect) {
			t.Fatalf("Dial refused: %v", err)
		}

		silent, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
		start := time.Now()
		_, err = Dial(sctx, "ws://"+silent.Addr().String()+"/", WithConnectTimeout(30*time.Second))
		scancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("Dial to a silent server with a 200ms deadline: %v after %v", err, time.Since(start))
		}
		if _, err := Dial(ctx, "ws://"+silent.Addr().String()+"/", WithConnectTimeout(300*time.Millisecond)); !errors.Is(err, ErrTimeout) {
			t.Fatalf("Dial with a 300ms connect timeout: %v", err)
		}

		// A server that never answers the Close frame: Close gives up
		// after the close timeout.
		mute := miniServer(t, func(n int, conn net.Conn) {
			conn.SetReadDeadline(time.Now().Add(time.Second))
			io.Copy(io.Discard, conn)
		})
		c = dial(t, mute, WithCloseTimeout(200*time.Millisecond))
		start = time.Now()
		err = c.Close(1000, "")
		if !errors.Is(err, ErrTimeout) || time.Since(start) > 2*time.Second {
			t.Fatalf("Close without an answer: %v after %v", err, time.Since(start))
		}
	})
	if n := liveHandles.Load(); n != 0 {
		t.Fatalf("%d cgo handles live", n)
	}
}

func TestManyConcurrentDialsAndClosesHoldFewThreads(t *testing.T) {
	// Dial and Close wait inside the library in at most len(blockingWaits)
	// OS threads; the rest wait on channels (10,000 concurrent Closes once
	// hit Go's 10,000-thread limit).
	const conns, slots = 200, 8
	withBlockingWaits(slots, func() {
		// Go keeps the threads it started, so the count afterwards is the peak.
		before := osThreads(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cs := make([]*Conn, conns)
		errs := make(chan error, conns)
		var wg sync.WaitGroup
		for i := range cs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, err := Dial(ctx, echoURL)
				if err != nil {
					errs <- err
					return
				}
				cs[i] = c
			}(i)
		}
		wg.Wait()
		for _, c := range cs {
			if c == nil {
				continue
			}
			wg.Add(1)
			go func(c *Conn) {
				defer wg.Done()
				if err := c.Close(1000, ""); err != nil {
					errs <- err
				}
			}(c)
		}
		wg.Wait()
		peak := osThreads(t)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		t.Logf("%d concurrent Dials, then Closes: %d OS threads before, %d at most", conns, before, peak)
		if peak > before+slots+24 {
			t.Fatalf("%d concurrent Dials/Closes with %d blocking slots: %d OS threads before, %d at the peak",
				conns, slots, before, peak)
		}
	})
}

func TestCloseDuringRecvs(t *testing.T) {
	// Close while several goroutines are in Recv (waiting on the notifier,
	// in its poll callback, or taking messages): all of them return
	// ErrClosed, nothing deadlocks, nothing leaks.
	for i := 0; i < 40; i++ {
		c := dial(t, echoURL)
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := c.Recv(context.Background()); err != nil {
						if !errors.Is(err, ErrClosed) {
							errs <- err
						}
						return
					}
				}
			}()
		}
		for j := 0; j < i%7*10; j++ {
			if err := c.Send(context.Background(), Binary, []byte{byte(j)}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Duration(i%5) * time.Millisecond)
		c.Close(1000, "")
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("iteration %d: Recvs still running 10s after Close", i)
		}
		close(errs)
		for err := range errs {
			t.Fatalf("iteration %d: Recv: %v", i, err)
		}
	}
	if n := liveHandles.Load(); n != 0 {
		t.Fatalf("%d cgo handles live", n)
	}
}

func TestRecvAllocations(t *testing.T) {
	// A Recv of a queued message allocates its Data and (amortized) nothing
	// else: batches go into a reused slice, no per-call closures or boxes.
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	ctx := context.Background()
	const n = 2000
	msg := make([]byte, 64)
	for i := 0; i < n; i++ {
		if err := c.Send(ctx, Binary, msg); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, c, n)
	var recvErr error
	allocs := testing.AllocsPerRun(n-1, func() {
		if _, err := c.Recv(ctx); err != nil {
			recvErr = err
		}
	})
	if recvErr != nil {
		t.Fatal(recvErr)
	}
	if allocs > 1.1 {
		t.Fatalf("%.2f allocations per Recv of a queued message, want 1 (its Data)", allocs)
	}
}
