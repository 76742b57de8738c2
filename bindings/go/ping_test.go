package wsc

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestPingReturnsTheRoundTrip(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rtt, err := c.Ping(ctx)
		cancel()
		if err != nil || rtt <= 0 || rtt > time.Second {
			t.Fatalf("Ping #%d: %v, %v", i, rtt, err)
		}
	}
	if s := c.Stats(); s.RTTLast <= 0 {
		t.Fatalf("stats RTTLast %v after pings", s.RTTLast)
	}
}

func TestPingCanceledReturnsTheContextError(t *testing.T) {
	c := dial(t, mutePeer(t))
	defer c.release()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping: %v", err)
	}
}

func TestPingAfterCloseMatchesErrClosed(t *testing.T) {
	c := dial(t, echoURL)
	if err := c.Close(1000, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: %v", err)
	}
}

// tcpPeer listens on 127.0.0.1 until the test ends and runs serve on each
// connection it accepts (closing it after); its ws:// URL.
func tcpPeer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return "ws://" + l.Addr().String() + "/"
}

// mutePeer completes the WebSocket upgrade and then reads and drops every
// byte: it never answers a ping.
func mutePeer(t *testing.T) string {
	return tcpPeer(t, func(conn net.Conn) {
		if acceptUpgrade(conn, bufio.NewReader(conn)) {
			io.Copy(io.Discard, conn)
		}
	})
}

// acceptUpgrade reads the client's upgrade request from r and answers 101;
// false if the request did not come.
func acceptUpgrade(conn net.Conn, r *bufio.Reader) bool {
	req, err := http.ReadRequest(r)
	if err != nil {
		return false
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") +
		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	return true
}

func TestPingWithoutAPongTimesOutAndTheConnectionGoesOn(t *testing.T) {
	c := dial(t, mutePeer(t))
	defer c.release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Ping(ctx)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Ping: %v", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond || waited > 3*time.Second {
		t.Fatalf("Ping gave up after %v", waited)
	}
	if st := c.State(); st != Open {
		t.Fatalf("state %v after a ping timeout", st)
	}
}

// pongPeer completes the upgrade, then answers each ping with a pong that
// echoes its payload, passes every ping payload it unmasked to seen, and
// answers a Close.
func pongPeer(t *testing.T, seen chan<- []byte) string {
	return tcpPeer(t, func(conn net.Conn) {
		r := bufio.NewReader(conn)
		if !acceptUpgrade(conn, r) {
			return
		}
		for {
			var head [2]byte
			if _, err := io.ReadFull(r, head[:]); err != nil {
				return
			}
			n := int(head[1] & 0x7f) // a client's control frames have short lengths
			var key [4]byte
			payload := make([]byte, n)
			if _, err := io.ReadFull(r, key[:]); err != nil {
				return
			}
			if _, err := io.ReadFull(r, payload); err != nil {
				return
			}
			for i := range payload {
				payload[i] ^= key[i%4]
			}
			switch head[0] & 0x0f {
			case 0x9:
				seen <- payload
				conn.Write(append([]byte{0x8a, byte(n)}, payload...))
			case 0x8: // the closing handshake: echo the Close
				conn.Write(append([]byte{0x88, byte(n)}, payload...))
				return
			}
		}
	})
}

func TestPingDataCarriesItsPayloadAndRefusesOneOver125Bytes(t *testing.T) {
	seen := make(chan []byte, 4)
	c := dial(t, pongPeer(t, seen))
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if rtt, err := c.PingData(ctx, []byte("are you there?")); err != nil || rtt <= 0 {
		t.Fatalf("PingData: %v, %v", rtt, err)
	}
	if got := string(<-seen); got != "are you there?" {
		t.Fatalf("the server saw a ping carrying %q", got)
	}
	if _, err := c.PingData(ctx, make([]byte, 126)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("PingData of 126 bytes: %v", err)
	}
	if _, err := c.PingData(ctx, make([]byte, 125)); err != nil {
		t.Fatalf("PingData of 125 bytes: %v", err)
	}
	if got := len(<-seen); got != 125 {
		t.Fatalf("the server saw a ping of %d bytes", got)
	}
}
