package wsc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"wsc.example/wsc/internal/peertest"
)

// The echo server: `$WSC_CLI serve --port 0` (default: the meson build's
// tools/wsc next to this source tree).
var echoURL string

func sourceDir() string { return peertest.SourceDir() }

func cliPath() string {
	if p := os.Getenv("WSC_CLI"); p != "" {
		return p
	}
	return filepath.Join(sourceDir(), "build", "tools", "wsc")
}

// startPeer runs a peer and returns the port it prints (peertest.Start).
func startPeer(re *regexp.Regexp, name string, args ...string) (string, func(), error) {
	return peertest.Start(re, name, args...)
}

func TestMain(m *testing.M) {
	port, stop, err := startPeer(regexp.MustCompile(`listening on ws://[^:]+:(\d+)`),
		cliPath(), "serve", "--port", "0", "--bind", "127.0.0.1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the echo server:", err)
		os.Exit(1)
	}
	echoURL = "ws://127.0.0.1:" + port + "/"
	code := m.Run()
	stop()
	os.Exit(code)
}

// pyPeer starts tests/peers/py_echo_server.py with args; its URL base
// (ws:// or wss://) without a path.
func pyPeer(t *testing.T, scheme string, args ...string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	script := filepath.Join(sourceDir(), "tests", "peers", "py_echo_server.py")
	port, stop, err := startPeer(regexp.MustCompile(`PORT (\d+)`), py, append([]string{script}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return scheme + "://127.0.0.1:" + port
}

func certs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(sourceDir(), "tests", "support", "make_certs.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_certs.sh: %v\n%s", err, out)
	}
	return dir
}

func dial(t *testing.T, url string, opts ...Option) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, opts...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	return c
}

func payload(typ MessageType, n int, seed int64) []byte {
	b := make([]byte, n)
	if typ == Text {
		for i := range b {
			b[i] = 'a' + byte((int64(i)+seed)%26)
		}
		return b
	}
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func TestEcho(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	if c.State() != Open {
		t.Fatalf("state after Dial = %v", c.State())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, typ := range []MessageType{Text, Binary} {
		for _, n := range []int{0, 1, 125, 126, 65536, 1 << 20} {
			want := payload(typ, n, int64(n))
			if err := c.Send(ctx, typ, want); err != nil {
				t.Fatalf("Send(%v, %d): %v", typ, n, err)
			}
			got, err := c.Recv(ctx)
			if err != nil {
				t.Fatalf("Recv(%v, %d): %v", typ, n, err)
			}
			if got.Type != typ || !bytes.Equal(got.Data, want) {
				t.Fatalf("%v %d bytes: echo is %v %d bytes, differs", typ, n, got.Type, len(got.Data))
			}
		}
	}
	st := c.Stats()
	if st.MsgsSent != 12 || st.MsgsReceived != 12 || st.ConnectAttempts != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestRecvHonoursContext(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Recv(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv with deadline: %v", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > time.Second {
		t.Fatalf("Recv with a 120ms deadline took %v", el)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	var cancelled time.Time
	timer := time.AfterFunc(100*time.Millisecond, func() { cancelled = time.Now(); cancel2() })
	defer timer.Stop()
	_, err = c.Recv(ctx2)
	late := time.Since(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv with cancel: %v", err)
	}
	if late > 500*time.Millisecond {
		t.Fatalf("Recv returned %v after the cancel", late)
	}

	// Already-done context: returns at once without a message being lost.
	if err := c.Send(context.Background(), Text, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(ctx2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv with a cancelled ctx: %v", err)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel3()
	if m, err := c.Recv(ctx3); err != nil || string(m.Data) != "kept" {
		t.Fatalf("Recv after cancel: %q %v", m.Data, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestDialRefused(t *testing.T) {
	url := fmt.Sprintf("ws://127.0.0.1:%d/", freePort(t))
	start := time.Now()
	c, err := Dial(context.Background(), url, WithConnectTimeout(2*time.Second))
	if c != nil || !errors.Is(err, ErrConnect) {
		t.Fatalf("Dial to a refused port: %v, %v", c, err)
	}
	var we *Error
	if !errors.As(err, &we) || we.Status != ErrConnect || we.Op != "dial" {
		t.Fatalf("not an *Error with Status ErrConnect: %#v", err)
	}
	if errors.Is(err, ErrTLS) {
		t.Fatal("ErrConnect matches ErrTLS")
	}
	t.Logf("%v (after %v)", err, time.Since(start))
}

func TestDialInvalid(t *testing.T) {
	_, err := Dial(context.Background(), "http://127.0.0.1/")
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Dial(http://): %v", err)
	}
	_, err = Dial(context.Background(), echoURL, WithTLSMinVersion(11))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("WithTLSMinVersion(11): %v", err)
	}
	t.Log(err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dial(ctx, echoURL); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial with a cancelled ctx: %v", err)
	}
	if n := liveHandles.Load(); n != 0 {
		t.Fatalf("%d cgo handles live after failed Dials", n)
	}
}

func TestTLS(t *testing.T) {
	dir := certs(t)
	t.Run("selfsigned", func(t *testing.T) {
		base := pyPeer(t, "wss", "--tls-cert", filepath.Join(dir, "selfsigned.pem"),
			"--tls-key", filepath.Join(dir, "selfsigned.key"))
		c, err := Dial(context.Background(), base+"/", WithConnectTimeout(5*time.Second))
		if c != nil || !errors.Is(err, ErrTLS) {
			t.Fatalf("Dial to a self-signed server: %v, %v", c, err)
		}
		t.Log(err)
	})
	t.Run("trusted", func(t *testing.T) {
		base := pyPeer(t, "wss", "--tls-cert", filepath.Join(dir, "server.pem"),
			"--tls-key", filepath.Join(dir, "server.key"))
		c := dial(t, base+"/", WithTLSCAFile(filepath.Join(dir, "ca.pem")))
		defer c.Close(1000, "")
		info, err := c.TLSInfo()
		if err != nil || !strings.HasPrefix(info.Version, "TLS") {
			t.Fatalf("TLSInfo: %+v %v", info, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Send(ctx, Binary, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if m, err := c.Recv(ctx); err != nil || !bytes.Equal(m.Data, []byte{1, 2, 3}) {
			t.Fatalf("Recv over TLS: %v %v", m, err)
		}
	})
}

func TestServerClose(t *testing.T) {
	base := pyPeer(t, "ws")
	c := dial(t, base+"/close/4000/bye")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Recv(ctx)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after the server closed: %v", err)
	}
	if code, reason, ok := c.CloseStatus(); !ok || code != 4000 || reason != "bye" {
		t.Fatalf("CloseStatus = %d %q %v", code, reason, ok)
	}
	if err := c.Send(ctx, Text, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after the server closed: %v", err)
	} else {
		t.Log(err)
	}
	if err := c.Close(1000, ""); err != nil {
		t.Fatalf("Close after the server closed: %v", err)
	}

	lost := dial(t, base+"/close/1006")
	_, err = lost.Recv(ctx)
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrLost) {
		t.Fatalf("Recv after a TCP drop: %v", err)
	}
	t.Log(err)
	lost.Close(1000, "")
}

func TestCloseSemantics(t *testing.T) {
	ctx := context.Background()
	c := dial(t, echoURL)
	if err := c.Send(ctx, Text, []byte("last")); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(1000, "done"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if c.State() != Closed {
		t.Fatalf("state after Close: %v", c.State())
	}
	if st := c.Stats(); st.MsgsSent != 1 {
		t.Fatalf("stats after Close: %+v", st)
	}
	if err := c.Close(1000, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := c.Send(ctx, Text, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if _, err := c.Recv(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close: %v", err)
	}

	bad := dial(t, echoURL)
	if err := bad.Close(1005, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Close(1005): %v", err)
	}
	if bad.State() != Closed {
		t.Fatal("Close with an invalid code did not release the connection")
	}
	if err := bad.Send(ctx, Text, []byte("bad")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close(1005): %v", err)
	}
}

func TestSendBadArguments(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	ctx := context.Background()
	if err := c.Send(ctx, Text, []byte{0xff, 0xfe}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Send of invalid UTF-8 text: %v", err)
	}
	if err := c.Send(ctx, MessageType(7), []byte("x")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Send with type 7: %v", err)
	}
}

func TestConcurrentSend(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	const senders, each = 8, 200
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := c.Send(ctx, Text, []byte(fmt.Sprintf("%d:%d", g, i))); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	// Receive at the same time: per sender, the echoes come back in order.
	next := make([]int, senders)
	for n := 0; n < senders*each; n++ {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv %d: %v", n, err)
		}
		var g, i int
		if _, err := fmt.Sscanf(string(m.Data), "%d:%d", &g, &i); err != nil || g < 0 || g >= senders {
			t.Fatalf("bad echo %q", m.Data)
		}
		if i != next[g] {
			t.Fatalf("sender %d: got %d, want %d", g, i, next[g])
		}
		next[g]++
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSendHonoursContextWhenQueueFull(t *testing.T) {
	// Nobody reads: the receive queue (256 KiB) fills and pauses the socket,
	// the server stops reading, TCP buffers fill, then the send queue
	// (1 MiB) fills and Send must wait, then give up at the deadline.
	c := dial(t, echoURL, WithSendQueueBytes(1<<20), WithRecvQueueBytes(256<<10))
	defer c.Close(1000, "")
	chunk := payload(Binary, 256<<10, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for sent := 0; ; sent++ {
		sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start := time.Now()
		err := c.Send(sctx, Binary, chunk)
		scancel()
		if err == nil {
			if ctx.Err() != nil {
				t.Skip("the send queue never filled")
			}
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send %d on a full queue: %v", sent, err)
		}
		if el := time.Since(start); el < 250*time.Millisecond || el > 2*time.Second {
			t.Fatalf("Send with a 300ms deadline took %v", el)
		}
		t.Logf("queue full after %d sends of %d bytes; stats %+v", sent, len(chunk), c.Stats())
		break
	}
	// Reading drains everything; the blocked Send then goes through.
	done := make(chan error, 1)
	go func() { done <- c.Send(ctx, Binary, chunk) }()
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Data) != len(chunk) {
			t.Fatalf("echo of %d bytes", len(m.Data))
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Send after draining: %v", err)
			}
			return
		default:
		}
	}
}

func TestNoLeaks(t *testing.T) {
	settle := func(limit int) int {
		var n int
		for i := 0; i < 100; i++ {
			runtime.GC()
			if n = runtime.NumGoroutine(); n <= limit {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()
	if h := liveHandles.Load(); h != 0 {
		t.Fatalf("%d cgo handles live before the test", h)
	}
	// Warm up first: the library's loop and the Go netpoller open their
	// descriptors once, at first use.
	warm := dial(t, echoURL)
	if err := warm.Send(context.Background(), Text, []byte("warm")); err != nil {
		t.Fatal(err)
	}
	if _, err := warm.Recv(context.Background()); err != nil {
		t.Fatal(err)
	}
	warm.Close(1000, "")
	fds := openFDs(t)
	refused := fmt.Sprintf("ws://127.0.0.1:%d/", freePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for i := 0; i < 100; i++ {
		c, err := Dial(ctx, echoURL)
		if err != nil {
			t.Fatalf("Dial %d: %v", i, err)
		}
		if err := c.Send(ctx, Text, []byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Recv(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(1000, ""); err != nil {
			t.Fatalf("Close %d: %v", i, err)
		}
		if i%10 == 0 {
			if _, err := Dial(ctx, refused, WithConnectTimeout(2*time.Second)); !errors.Is(err, ErrConnect) {
				t.Fatalf("Dial refused: %v", err)
			}
		}
	}
	if h := liveHandles.Load(); h != 0 {
		t.Fatalf("%d cgo handles live after 100 Dial/Close cycles", h)
	}
	// Each Recv that waited made an eventfd notifier; Close closes it.
	if after := openFDs(t); after > fds {
		t.Fatalf("open descriptors: %d before, %d after 100 Dial/Recv/Close cycles", fds, after)
	}
	if n := settle(base); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", base, n, buf[:runtime.Stack(buf, true)])
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestDialHonoursContext(t *testing.T) {
	// A listener nobody accepts on: the kernel completes TCP, the upgrade
	// is never answered, so only ctx can end Dial before the 30s timeout.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := Dial(ctx, "ws://"+l.Addr().String()+"/", WithConnectTimeout(30*time.Second))
	if c != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial to a silent server: %v, %v", c, err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Dial took %v with a 200ms deadline", el)
	}
	if n := liveHandles.Load(); n != 0 {
		t.Fatalf("%d cgo handles live after a cancelled Dial", n)
	}

	// The library's own connect timeout: ErrTimeout.
	c, err = Dial(context.Background(), "ws://"+l.Addr().String()+"/", WithConnectTimeout(300*time.Millisecond))
	if c != nil || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Dial with a 300ms connect timeout: %v, %v", c, err)
	}
	t.Log(err)
}

func TestCloseWakesRecv(t *testing.T) {
	c := dial(t, echoURL)
	done := make(chan error, 1)
	go func() {
		_, err := c.Recv(context.Background())
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(1000, "bye"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv during Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked 5s after Close")
	}
}
