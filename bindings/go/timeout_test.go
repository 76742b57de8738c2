package wsc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time of the whole process (every thread, the
// library's loop thread included): a spinning wait burns about one core.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The race detector slows every instruction down; the budget is still far
// below what a spinning wait burns in the same time.
const cpuBudget = 400 * time.Millisecond

// silentListener accepts TCP connections and never sends a byte.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return "ws://" + l.Addr().String() + "/"
}

func TestConnectTimeoutEndsDialPromptlyWithoutSpinning(t *testing.T) {
	url := silentListener(t)
	start, cpu := time.Now(), cpuTime(t)
	c, err := Dial(context.Background(), url, WithConnectTimeout(500*time.Millisecond))
	wall, used := time.Since(start), cpuTime(t)-cpu
	if c != nil || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Dial: %v, %v", c, err)
	}
	if wall < 400*time.Millisecond || wall > 2*time.Second || used > cpuBudget {
		t.Fatalf("Dial took %v wall, %v CPU", wall, used)
	}
	var e *Error
	if !errors.As(err, &e) || !e.Timeout() || e.Detail == "" {
		t.Fatalf("error %#v: want a timeout with a detail", err)
	}
}

func TestPongTimeoutKeepsItsReason(t *testing.T) {
	// Upgrades, then reads and never answers: pings go unanswered.
	url := miniServer(t, func(n int, conn net.Conn) {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, conn)
	})
	c := dial(t, url, WithPingInterval(100*time.Millisecond), WithPongTimeout(300*time.Millisecond))
	start, cpu := time.Now(), cpuTime(t)
	_, err := c.Recv(context.Background())
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after a pong timeout: %v (want ErrTimeout and ErrClosed)", err)
	}
	if !strings.Contains(err.Error(), "pong") {
		t.Fatalf("error %q does not say what timed out", err)
	}
	if code := CloseStatus(err); code != StatusAbnormalClosure {
		t.Fatalf("CloseStatus = %d, want %d", code, StatusAbnormalClosure)
	}
	if err := c.Send(context.Background(), Text, []byte("x")); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Send after a pong timeout: %v", err)
	}
	closeStart := time.Now()
	if err := c.Close(StatusNormalClosure, ""); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatalf("Close after the end: %v", err)
	}
	if d := time.Since(closeStart); d > 500*time.Millisecond {
		t.Fatalf("Close of an ended connection took %v", d)
	}
	if wall, used := time.Since(start), cpuTime(t)-cpu; wall > 3*time.Second || used > cpuBudget {
		t.Fatalf("pong timeout took %v wall, %v CPU", wall, used)
	}
}

func TestHandshakeErrorCarriesTheHTTPStatus(t *testing.T) {
	url := tcpPeer(t, func(conn net.Conn) {
		buf := make([]byte, 4096)
		conn.Read(buf)
		fmt.Fprint(conn, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nX-Reason: banned\r\nConnection: close\r\n\r\n")
		io.Copy(io.Discard, conn)
	})
	_, err := Dial(context.Background(), url)
	var e *Error
	if !errors.As(err, &e) || e.Status != ErrHandshake || e.HTTPStatus != 403 {
		t.Fatalf("Dial to a 403: %#v", err)
	}
	if got := e.Header.Get("X-Reason"); got != "banned" {
		t.Fatalf("Header of a refused upgrade: X-Reason = %q (%v)", got, e.Header)
	}
	if CloseStatus(err) != -1 {
		t.Fatalf("CloseStatus of a refused upgrade = %d, want -1", CloseStatus(err))
	}
}

func TestErrorWordsAreNotRepeated(t *testing.T) {
	_, err := Dial(context.Background(), "http://example.test/")
	if err == nil {
		t.Fatal("Dial accepted an http:// URL")
	}
	if msg := err.Error(); strings.Count(msg, ErrInvalid.Text()) != 1 {
		t.Fatalf("error %q: want %q exactly once", msg, ErrInvalid.Text())
	}
	_, err = Dial(context.Background(), "ws://127.0.0.1:1/", WithHeader("Host", "x"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "set by wsc itself") {
		t.Fatalf("Dial with a Host header: %v", err)
	}
}
